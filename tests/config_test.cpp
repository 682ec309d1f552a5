// Configuration, run as a real process: precedence of command line, environment and INI file, targets, passwords.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "host_process.hpp"
#include "test_database.hpp"

#ifndef DEFAULT_PLUGIN_DIR
#error "DEFAULT_PLUGIN_DIR must be defined by the build"
#endif

using namespace test_support;
namespace fs = std::filesystem;

namespace {

// A scratch directory to run in (so that no ./migration-host.ini of the test's own directory is read), removed at
// the end of the test.
struct Scratch {
    fs::path root = make_temp_dir("mh-config");
    ~Scratch() {
        std::error_code ignored;
        fs::remove_all(root, ignored);
    }
    fs::path write(const std::string& name, const std::string& content, fs::perms mode = fs::perms(0600)) const {
        const fs::path path = root / name;
        std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
        fs::permissions(path, mode);
        return path;
    }
};

// The line `migration-host config` prints for `option`: "option = VALUE  [ORIGIN]".
std::string config_line(const ProcessResult& result, const std::string& option) {
    std::istringstream lines(result.out);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(option + " = ", 0) == 0) return line;
    }
    return "(no line for " + option + ")";
}

ProcessResult run_in(const Scratch& scratch, std::vector<std::string> arguments,
                     std::map<std::string, std::string> environment = {}) {
    return run_host(HostRun{std::move(arguments), std::move(environment), scratch.root.string()});
}

void check_usage_error(const ProcessResult& result, const std::string& cause) {
    INFO(result.all());
    CHECK(result.exit_code == 2);
    CHECK(error_lines(result.err).size() == 1);
    CHECK(result.err.find(cause) != std::string::npos);
}

}  // namespace

// One row per global option: the value each source gives, and what `config` must then show. Each source is taken
// away in turn, highest first, so each level of the precedence is seen to win over all below it.
TEST_CASE("every global option: command line over environment over target section over file over default",
          "[config][cli]") {
    const Scratch scratch;
    struct Row {
        std::string option;
        std::vector<std::string> command_line;  // the arguments that set it
        std::string shown_from_command_line;
        std::string environment, shown_from_environment;
        std::string in_target, shown_from_target;
        std::string at_top, shown_from_top;
        std::string shown_by_default;
    };
    const std::string a = (scratch.root / "a").string(), b = (scratch.root / "b").string(),
                      c = (scratch.root / "c").string(), d = (scratch.root / "d").string();
    const std::string default_dsn = "DRIVER=SQLite3;DATABASE=" + (scratch.root / "migration-host.sqlite").string();
    const std::vector<Row> rows = {
        {"dsn",
         {"--dsn", "DRIVER=SQLite3;DATABASE=/cl"},
         "DRIVER=SQLite3;DATABASE=/cl",
         "DRIVER=SQLite3;DATABASE=/env",
         "DRIVER=SQLite3;DATABASE=/env",
         "DRIVER=SQLite3;DATABASE=/target",
         "DRIVER=SQLite3;DATABASE=/target",
         "DRIVER=SQLite3;DATABASE=/top",
         "DRIVER=SQLite3;DATABASE=/top",
         default_dsn},
        {"scratch-dsn",
         {"--scratch-dsn", "DSN=scratch_cl"},
         "DSN=scratch_cl",
         "DSN=scratch_env",
         "DSN=scratch_env",
         "DSN=scratch_target",
         "DSN=scratch_target",
         "DSN=scratch_top",
         "DSN=scratch_top",
         "(none)"},
        {"plugin-path",
         {"--plugin-path", a, "--plugin-path", b},
         a + ":" + b,
         b + ":" + c,
         b + ":" + c,
         c,
         c,
         d,
         d,
         "(none)"},
        {"no-default-plugins", {"--no-default-plugins"}, "true", "0", "false", "yes", "true", "off", "false", "false"},
        {"log-level", {"--log-level", "error"}, "error", "warn", "warn", "trace", "trace", "off", "off", "info"},
        {"log-format", {"--log-format", "json"}, "json", "text", "text", "json", "json", "text", "text", "text"},
        {"connect-timeout", {"--connect-timeout", "11"}, "11", "12", "12", "13", "13", "14", "14", "15"},
        {"lock-timeout", {"--lock-timeout", "0"}, "0", "21", "21", "22", "22", "23", "23", "60"},
        {"statement-timeout", {"--statement-timeout", "31"}, "31", "32", "32", "33", "33", "34", "34", "0"},
        {"skip-broken-plugins",
         {"--skip-broken-plugins"},
         "true",
         "false",
         "false",
         "on",
         "true",
         "no",
         "false",
         "false"},
        {"allow-connection-key",
         {"--allow-connection-key", "K1", "--allow-connection-key", "K2"},
         "K1,K2",
         "K3, K4",
         "K3,K4",
         "K5",
         "K5",
         "K6",
         "K6",
         "(none)"},
        {"allow-insecure-plugins",
         {"--allow-insecure-plugins"},
         "true",
         "no",
         "false",
         "1",
         "true",
         "false",
         "false",
         "false"},
    };
    for (const auto& row : rows) {
        INFO("option " << row.option);
        const fs::path file =
            scratch.write("options.ini", "# the precedence test\n" + row.option + " = " + row.at_top +
                                             "\n[target.t]\n" + row.option + " = " + row.in_target + "\n");
        std::string upper = "MIGRATION_HOST_";
        for (const char ch : row.option) upper += ch == '-' ? '_' : static_cast<char>(std::toupper(ch));

        std::vector<std::string> with_target{"--config", file.string(), "--target", "t"};
        std::vector<std::string> all = with_target;
        all.insert(all.end(), row.command_line.begin(), row.command_line.end());
        all.push_back("config");
        const std::map<std::string, std::string> environment{{upper, row.environment}};
        const auto expect = [&](const ProcessResult& result, const std::string& value, const std::string& origin) {
            INFO(result.all());
            CHECK(result.exit_code == 0);
            CHECK(config_line(result, row.option) == row.option + " = " + value + "  [" + origin + "]");
        };
        expect(run_in(scratch, all, environment), row.shown_from_command_line, "--" + row.option);
        with_target.push_back("config");
        expect(run_in(scratch, with_target, environment), row.shown_from_environment, upper);
        expect(run_in(scratch, with_target), row.shown_from_target, row.option + " in " + file.string() + " line 4");
        expect(run_in(scratch, {"--config", file.string(), "config"}), row.shown_from_top,
               row.option + " in " + file.string() + " line 2");
        expect(run_in(scratch, {"config"}), row.shown_by_default, "default");
    }
}

TEST_CASE("the file: --config over MIGRATION_HOST_CONFIG over ./migration-host.ini, and the target likewise",
          "[config][cli]") {
    const Scratch scratch;
    const auto first = scratch.write("first.ini", "target = one\n[target.one]\n[target.two]\n[target.three]\n");
    const auto second = scratch.write("second.ini", "lock-timeout = 2\n");
    scratch.write("migration-host.ini", "lock-timeout = 3\n");
    const auto from_option =
        run_in(scratch, {"--config", first.string(), "config"}, {{"MIGRATION_HOST_CONFIG", second.string()}});
    CHECK(config_line(from_option, "config") == "config = " + first.string() + "  [--config]");
    CHECK(config_line(from_option, "target") == "target = one  [target in " + first.string() + " line 1]");
    const auto from_environment = run_in(scratch, {"config"}, {{"MIGRATION_HOST_CONFIG", second.string()}});
    CHECK(config_line(from_environment, "config") == "config = " + second.string() + "  [MIGRATION_HOST_CONFIG]");
    CHECK(config_line(from_environment, "lock-timeout") ==
          "lock-timeout = 2  [lock-timeout in " + second.string() + " line 1]");
    const auto present = run_in(scratch, {"config"});
    CHECK(config_line(present, "config") == "config = ./migration-host.ini  [present in the current directory]");
    CHECK(config_line(present, "lock-timeout") == "lock-timeout = 3  [lock-timeout in ./migration-host.ini line 1]");

    const auto targets = [&](std::vector<std::string> arguments, std::map<std::string, std::string> environment) {
        arguments.insert(arguments.begin(), {"--config", first.string()});
        arguments.push_back("config");
        return config_line(run_in(scratch, arguments, environment), "target");
    };
    CHECK(targets({"--target", "two"}, {{"MIGRATION_HOST_TARGET", "three"}}) == "target = two  [--target]");
    CHECK(targets({}, {{"MIGRATION_HOST_TARGET", "three"}}) == "target = three  [MIGRATION_HOST_TARGET]");
}

TEST_CASE("the configuration's values are the ones a command uses", "[config][cli][sqlite]") {
    const Scratch scratch;
    const auto db = TestDatabase::create(Backend::sqlite);
    // Only the file names the database and the plugins; the environment sets the log level.
    const auto file = scratch.write("mh.ini",
                                    "dsn = DRIVER=SQLite3;DATABASE=/nonexistent/elsewhere.sqlite\n"
                                    "[target.here]\n"
                                    "dsn = " +
                                        db->connection_string() +
                                        "\n"
                                        "no-default-plugins = true\n"
                                        "plugin-path = " CINDER_PLUGIN_DIR "\n");
    const auto upgrade = run_in(scratch, {"--config", file.string(), "--target", "here", "upgrade"},
                                {{"MIGRATION_HOST_LOG_LEVEL", "debug"}});
    INFO(upgrade.all());
    CHECK(upgrade.exit_code == 0);
    CHECK(upgrade.out.find("Upgraded cinder 0 -> 1") != std::string::npos);
    CHECK(upgrade.out.find("Applied 1 step") != std::string::npos);  // cinder_initial only: not the default dir
    CHECK(upgrade.err.find(" debug ") != std::string::npos);
    CHECK(db->version_of("cinder") == 1);
}

// The SQLite default is for a host run with no configuration of where to connect. A file that defines targets and
// chooses none is a run whose target was forgotten: upgrading ./migration-host.sqlite instead is refused.
TEST_CASE("a configuration file that defines targets and chooses none is refused where a command would connect",
          "[config][cli][target][sqlite]") {
    const Scratch scratch;
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto file = scratch.write("migration-host.ini", "no-default-plugins = true\nplugin-path = " CINDER_PLUGIN_DIR
                                                          "\n[target.prod]\ndsn = " + db->connection_string() +
                                                          "\n[target.dev]\ndsn = DRIVER=SQLite3;DATABASE=/nonexistent/dev\n");
    const fs::path default_file = scratch.root / "migration-host.sqlite";
    for (const char* command : {"upgrade", "status"}) {
        const auto result = run_in(scratch, {command});
        INFO(command);
        INFO(result.all());
        check_usage_error(result, "./migration-host.ini defines the targets dev, prod and chooses none: give --target "
                                  "NAME (or MIGRATION_HOST_TARGET, or target = NAME at the file's top level) or a dsn");
        CHECK_FALSE(fs::exists(default_file));
    }
    // `config` shows the problem rather than failing on it; commands that do not connect run.
    const auto shown = run_in(scratch, {"config"});
    INFO(shown.all());
    CHECK(shown.exit_code == 0);
    CHECK(config_line(shown, "dsn") ==
          "dsn = (none)  [none: ./migration-host.ini defines the targets dev, prod and chooses none]");
    const auto plugins = run_in(scratch, {"plugins"});
    CHECK(plugins.exit_code == 0);
    const auto offline = run_in(scratch, {"sql", "--dialect", "sqlite", "upgrade"});
    CHECK(offline.exit_code == 0);
    // A target chosen, any way, or a dsn given, connects where it says.
    require_ok(run_in(scratch, {"--target", "prod", "upgrade"}));
    CHECK(db->version_of("cinder") == 1);
    require_ok(run_in(scratch, {"status"}, {{"MIGRATION_HOST_TARGET", "prod"}}));
    require_ok(run_in(scratch, {"--dsn", db->connection_string(), "status"}));
    CHECK_FALSE(fs::exists(default_file));

    // A file that names no connection at all leaves the default as it was.
    scratch.write("migration-host.ini", "no-default-plugins = true\nplugin-path = " CINDER_PLUGIN_DIR "\n");
    require_ok(run_in(scratch, {"upgrade"}));
    CHECK(fs::exists(default_file));
}

TEST_CASE("a configuration that does not parse or names what does not exist exits 2 naming the file and line",
          "[config][cli]") {
    const Scratch scratch;
    const auto with = [&](const std::string& content) {
        const auto file = scratch.write("bad.ini", content);
        return run_in(scratch, {"--config", file.string(), "config"});
    };
    const std::string bad = (scratch.root / "bad.ini").string();
    check_usage_error(with("lock-timeout = 5\nnot a setting\n"),
                      bad + " line 2: expected 'name = value', '[target.NAME]' or a '#' comment");
    check_usage_error(with("# comment\n\nlock-timout = 5\n"), bad + " line 3: unknown setting 'lock-timout'");
    check_usage_error(with("[production]\ndsn = x\n"), bad + " line 1: unknown section [production]");
    check_usage_error(with("[target.a]\ntarget = b\n"), bad + " line 2: unknown setting 'target' in a target section");
    check_usage_error(with("dsn =\n"), bad + " line 1: dsn has no value");
    check_usage_error(with("dsn = a\n\ndsn = b\n"),
                      bad + " line 3: dsn is set twice in the top level (first at dsn in " + bad + " line 1)");
    check_usage_error(with("\n[target.x]\nlock-timeout = soon\n"),
                      "invalid lock-timeout in " + bad +
                          " line 3 'soon': expected a whole number of seconds from 0 "
                          "to 86400");
    check_usage_error(with("log-level = loud\n"), "invalid log-level in " + bad + " line 1 'loud'");
    check_usage_error(
        with("skip-broken-plugins = maybe\n"),
        "invalid skip-broken-plugins in " + bad + " line 1 'maybe': expected true, false, yes, no, on, off, 1 or 0");
    check_usage_error(
        run_in(scratch, {"--config", (scratch.root / "missing.ini").string(), "status"}),
        "cannot read configuration file " + (scratch.root / "missing.ini").string() + ": No such file or directory");
    check_usage_error(run_in(scratch, {"status"}, {{"MIGRATION_HOST_CONFIG", scratch.root.string()}}),
                      "cannot read configuration file " + scratch.root.string() + ": not a regular file");

    // Targets: an unknown one lists those there are; one without any file says so.
    const auto file = scratch.write("targets.ini", "[target.prod]\n[target.staging]\n");
    check_usage_error(run_in(scratch, {"--config", file.string(), "--target", "qa", "status"}),
                      "unknown target 'qa' (--target): " + file.string() + " has the targets prod, staging");
    check_usage_error(run_in(scratch, {"status"}, {{"MIGRATION_HOST_TARGET", "prod"}}),
                      "MIGRATION_HOST_TARGET names target 'prod', but there is no configuration file");

    // The environment is as strict as the command line.
    check_usage_error(run_in(scratch, {"status"}, {{"MIGRATION_HOST_SKIP_BROKEN_PLUGINS", "True"}}),
                      "invalid MIGRATION_HOST_SKIP_BROKEN_PLUGINS 'True': expected true, false");
    check_usage_error(run_in(scratch, {"status"}, {{"MIGRATION_HOST_CONNECT_TIMEOUT", "0"}}),
                      "invalid MIGRATION_HOST_CONNECT_TIMEOUT '0': expected a whole number of seconds from 1 to 3600");
    check_usage_error(run_in(scratch, {"status"}, {{"MIGRATION_HOST_LOG_LEVEL", "verbose"}}),
                      "invalid MIGRATION_HOST_LOG_LEVEL 'verbose'");
}

TEST_CASE("a password comes from a file or a variable the configuration names, inline only in a private file",
          "[config][cli]") {
    const Scratch scratch;
    const std::string secret = "s3cr;et}{=x";
    const auto secret_file = scratch.write("secret", secret + "\n");
    const auto shown = [&](const std::string& content, std::map<std::string, std::string> environment = {}) {
        const auto file = scratch.write("pw.ini", content);
        auto result = run_in(scratch, {"--config", file.string(), "--log-level", "debug", "config"}, environment);
        INFO(result.all());
        CHECK(result.all().find("s3cr") == std::string::npos);
        return result;
    };
    const auto from_file = shown("dsn = DRIVER=SQLite3;DATABASE=/x\npassword-file = secret\n");
    CHECK(from_file.exit_code == 0);
    CHECK(config_line(from_file, "dsn") ==
          "dsn = DRIVER=SQLite3;DATABASE=/x;PWD=***  [dsn in " + (scratch.root / "pw.ini").string() +
              " line 1; password from password-file in " + (scratch.root / "pw.ini").string() + " line 2]");
    const auto from_variable =
        shown("[target.t]\ndsn = mydsn\npassword-env = MY_DB_PASSWORD\ntarget = t\n", {{"MY_DB_PASSWORD", secret}});
    CHECK(from_variable.exit_code == 2);  // target belongs at the top: the file is refused before any password
    const auto from_variable_at_top =
        shown("target = t\n[target.t]\ndsn = mydsn\npassword-env = MY_DB_PASSWORD\n", {{"MY_DB_PASSWORD", secret}});
    CHECK(from_variable_at_top.exit_code == 0);
    CHECK(config_line(from_variable_at_top, "dsn").rfind("dsn = DSN=mydsn;PWD=***  [", 0) == 0);

    check_usage_error(shown("dsn = x\npassword-env = NOT_SET_ANYWHERE\n"),
                      "password variable NOT_SET_ANYWHERE (named by password-env in ");
    check_usage_error(shown("dsn = x\npassword-file = nothing-here\n"),
                      "cannot read password file " + (scratch.root / "nothing-here").string());
    check_usage_error(shown("dsn = x\npassword-file = secret\npassword-env = HOME\n"), "give the password one way");
    check_usage_error(shown("dsn = x;PWD=s3cret\npassword-file = secret\n"), "give the password one way");

    // Inline: refused in a file others can read, accepted (and hidden) in one only its owner can.
    const auto readable = scratch.write("inline.ini", "dsn = DRIVER=SQLite3;PWD=s3cret\n", fs::perms(0644));
    check_usage_error(run_in(scratch, {"--config", readable.string(), "config"}),
                      "dsn in " + readable.string() + " line 1 holds a password inline, and " + readable.string() +
                          " can be read or changed by other users");
    fs::permissions(readable, fs::perms(0600));
    const auto private_file = run_in(scratch, {"--config", readable.string(), "config"});
    CHECK(private_file.exit_code == 0);
    CHECK(config_line(private_file, "dsn").rfind("dsn = DRIVER=SQLite3;PWD=***  [", 0) == 0);
    CHECK(private_file.all().find("s3cret") == std::string::npos);
}

namespace {

// A login whose password holds ';', '}', '{' and '=', given only through password-file: the host must brace it
// for the driver, and print it nowhere.
void check_password_from_file(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::string user = "mh_config_" + std::to_string(getpid());
    const std::string password = "pa;ss}w{o=rd";
    if (backend == Backend::mysql) {
        db->execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'");
        db->execute("GRANT ALL ON `" + db->name() + "`.* TO '" + user + "'@'%'");
    } else {
        db->execute("CREATE ROLE " + user + " LOGIN PASSWORD '" + password + "'");
    }
    const Scratch scratch;
    scratch.write("password", password + "\n");
    const std::string without_login = std::regex_replace(
        db->connection_string(), std::regex("(^|;)(UID|PWD|Username|Password)=[^;]*", std::regex::icase), "");
    const auto file = scratch.write(
        "db.ini", "[target.db]\ndsn = " + without_login + ";UID=" + user + "\npassword-file = password\n");
    const auto status = run_in(scratch, {"--config", file.string(), "--target", "db", "--log-level", "debug",
                                         "--no-default-plugins", "status"});
    const auto wrong = scratch.write("password", "not-" + password + "\n");
    const auto refused =
        run_in(scratch, {"--config", file.string(), "--target", "db", "--no-default-plugins", "status"});
    if (backend == Backend::mysql) {
        db->execute("DROP USER '" + user + "'@'%'");
    } else {
        db->execute("DROP ROLE " + user);
    }
    INFO(status.all());
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("No tracks") != std::string::npos);
    CHECK(status.all().find("ss}w") == std::string::npos);
    INFO(refused.all());
    CHECK(refused.exit_code == 3);
    CHECK(refused.all().find("ss}w") == std::string::npos);
}

}  // namespace

TEST_CASE("mysql: a password holding a semicolon and braces, from password-file, connects", "[config][cli][mysql]") {
    check_password_from_file(Backend::mysql);
}

TEST_CASE("postgresql: a password holding a semicolon and braces, from password-file, connects",
          "[config][cli][postgresql]") {
    check_password_from_file(Backend::postgresql);
}

TEST_CASE("plugin directories: --plugin-path adds to the default one, --no-default-plugins leaves it out",
          "[config][cli]") {
    const std::string manila = TEST_PLUGIN_ROOT "/manila";
    // manila@1 requires cinder@1, which only the default directory provides here.
    const auto added = run_host({"--plugin-path", manila, "plugins"});
    INFO(added.all());
    CHECK(added.exit_code == 0);
    CHECK(added.out.find("library: " + fs::canonical(DEFAULT_PLUGIN_DIR "/cinder_initial.so").string()) !=
          std::string::npos);
    CHECK(added.out.find("manila@1") != std::string::npos);
    const auto from_environment = run_host(HostRun{{"plugins"}, {{"MIGRATION_HOST_PLUGIN_PATH", manila}}, {}});
    CHECK(from_environment.exit_code == 0);
    CHECK(from_environment.out == added.out);

    // Without it, the error says where the host looked.
    for (const auto& run :
         {HostRun{{"--no-default-plugins", "--plugin-path", manila, "plugins"}, {}, {}},
          HostRun{
              {"plugins"}, {{"MIGRATION_HOST_PLUGIN_PATH", manila}, {"MIGRATION_HOST_NO_DEFAULT_PLUGINS", "1"}}, {}}}) {
        const auto alone = run_host(run);
        INFO(alone.all());
        CHECK(alone.exit_code == 4);
        CHECK(alone.err.find("requires cinder@1, which no loaded plugin provides (plugin directories searched: " +
                             manila + ")") != std::string::npos);
    }
    const auto gap =
        run_host({"--no-default-plugins", "--plugin-path", GRIZZLY_PLUGIN_DIR, "--plugin-path", manila, "plugins"});
    INFO(gap.all());
    CHECK(gap.exit_code == 4);
    CHECK(gap.err.find(std::string("track cinder has a gap: version 1 is missing before cinder@2") + "") !=
          std::string::npos);
    CHECK(gap.err.find(std::string("(plugin directories searched: ") + GRIZZLY_PLUGIN_DIR + ", " + manila + ")") !=
          std::string::npos);

    // The default directory named again, by any spelling, is searched once.
    const auto twice = run_host({"--plugin-path", DEFAULT_PLUGIN_DIR "/../plugins/", "plugins"});
    INFO(twice.all());
    CHECK(twice.exit_code == 0);
    CHECK(twice.out.find("cinder_grizzly") != std::string::npos);
}

namespace {

const uid_t nobody = 65534;

// Gives `path` to another user (changing an owner needs root, as the suite runs in CI); false, with a warning, when
// it cannot.
bool owned_by_nobody(const fs::path& path) {
    if (::lchown(path.c_str(), nobody, static_cast<gid_t>(-1)) == 0) return true;
    WARN("cannot chown " << path << " to uid " << nobody << " (not root?): case not checked");
    return false;
}

void set_mode(const fs::path& path, unsigned mode) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// The one error line of a run refused for a file another user could change, or "" when there is not exactly one.
std::string refusal(const ProcessResult& result) {
    INFO(result.all());
    CHECK(result.exit_code == 2);
    const auto lines = error_lines(result.err);
    CHECK(lines.size() == 1);
    return lines.size() == 1 ? lines.front() : std::string();
}


}  // namespace

// A file planted in a directory others can write must not take the run over: it would load that user's plugins
// (with allow-insecure-plugins even ones anybody can change) and silence the log.
TEST_CASE("a configuration file another user could change is refused before it is used", "[config][cli][sqlite]") {
    const Scratch scratch;
    const fs::path database = scratch.root / "planted.sqlite";
    const std::string planted = "dsn = DRIVER=SQLite3;DATABASE=" + database.string() +
                                "\nno-default-plugins = true\nplugin-path = " CINDER_PLUGIN_DIR
                                "\nallow-insecure-plugins = true\nlog-level = off\n";
    const fs::path implicit = scratch.write("migration-host.ini", planted, fs::perms(0644));
    const fs::path named = scratch.write("named.ini", planted, fs::perms(0644));
    const fs::path default_database = scratch.root / "migration-host.sqlite";
    // Each way of naming the file, so that each is seen to be checked.
    const std::vector<std::pair<std::string, HostRun>> runs = {
        {"./migration-host.ini", HostRun{{"upgrade"}, {}, scratch.root.string()}},
        {named.string(), HostRun{{"--config", named.string(), "upgrade"}, {}, scratch.root.string()}},
        {named.string(), HostRun{{"upgrade"}, {{"MIGRATION_HOST_CONFIG", named.string()}}, scratch.root.string()}},
    };
    const auto file_of = [&](const std::string& shown) { return shown == named.string() ? named : implicit; };

    // Owned by root (the running user here), 0644 or 0600: it is used.
    for (const auto& [shown, run] : runs) {
        for (const unsigned mode : {0644u, 0600u}) {
            INFO(shown << " mode " << mode);
            set_mode(file_of(shown), mode);
            const auto used = run_host(run);
            INFO(used.all());
            CHECK(used.exit_code == 0);
            CHECK(fs::exists(database));
            fs::remove(database);
        }
    }

    const auto refused_without_effect = [&](const HostRun& run) {
        const std::string line = refusal(run_host(run));
        CHECK_FALSE(fs::exists(database));
        CHECK_FALSE(fs::exists(default_database));
        return line;
    };
    for (const auto& [shown, run] : runs) {
        INFO(shown);
        const fs::path file = file_of(shown);
        set_mode(file, 0664);
        const std::string refused = "refusing configuration file " + shown + ", which another user could change: ";
        CHECK(contains(refused_without_effect(run),
                       refused + "file " + fs::absolute(file).string() + " is writable by group 0 (root) (mode 0664)"));
        set_mode(file, 0666);
        CHECK(contains(refused_without_effect(run),
                       refused + "file " + fs::absolute(file).string() + " is writable by everyone (mode 0666)"));
        set_mode(file, 0644);
        if (owned_by_nobody(file)) {
            CHECK(contains(refused_without_effect(run), refused + "file " + fs::absolute(file).string() +
                                                            " is owned by uid 65534 (nobody), neither root nor the "
                                                            "user running the host (uid 0 (root))"));
            REQUIRE(::lchown(file.c_str(), ::geteuid(), static_cast<gid_t>(-1)) == 0);
        }
    }

    // `config` connects to nothing, but shows what the file says: refused as well.
    set_mode(named, 0666);
    check_usage_error(run_in(scratch, {"--config", named.string(), "config"}),
                      "refusing configuration file " + named.string());

    // Whoever can write to its directory (but for a sticky one, as /tmp) can put another file in its place.
    const fs::path shared = scratch.root / "shared";
    fs::create_directory(shared);
    set_mode(shared, 0777);
    const fs::path in_shared = scratch.write("shared/mh.ini", "lock-timeout = 7\n", fs::perms(0644));
    check_usage_error(run_in(scratch, {"--config", in_shared.string(), "config"}),
                      "refusing configuration file " + in_shared.string() +
                          ", which another user could change: directory " + shared.string() +
                          " is writable by everyone (mode 0777)");
    check_usage_error(run_host(HostRun{{"--config", "mh.ini", "config"}, {}, shared.string()}),
                      "refusing configuration file mh.ini, which another user could change: directory " +
                          shared.string() + " is writable by everyone");
    set_mode(shared, 01777);
    const auto sticky = run_in(scratch, {"--config", in_shared.string(), "config"});
    INFO(sticky.all());
    CHECK(sticky.exit_code == 0);
    CHECK(config_line(sticky, "lock-timeout") ==
          "lock-timeout = 7  [lock-timeout in " + in_shared.string() + " line 1]");

    // A symbolic link leads to the file it names, and that file is the one checked.
    set_mode(shared, 0755);
    fs::create_symlink(in_shared, scratch.root / "link.ini");
    const auto through_link = run_in(scratch, {"--config", (scratch.root / "link.ini").string(), "config"});
    CHECK(through_link.exit_code == 0);
    if (owned_by_nobody(in_shared)) {
        check_usage_error(run_in(scratch, {"--config", (scratch.root / "link.ini").string(), "config"}),
                          "file " + in_shared.string() + " is owned by uid 65534 (nobody)");
    }
}

// The running user need not be root: a file of its own is trusted, root's too, anybody else's not.
TEST_CASE("a configuration file of the user running the host is used even when that user is not root",
          "[config][cli]") {
    if (::geteuid() != 0) {
        WARN("needs root to run the host as another user: not checked");
        return;
    }
    const Scratch scratch;
    set_mode(scratch.root, 0755);
    fs::create_directories(scratch.root / "bin");
    fs::copy_file(MIGRATION_HOST_EXECUTABLE, scratch.root / "bin" / "migration-host");
    const fs::path own = scratch.write("own.ini", "lock-timeout = 8\n", fs::perms(0600));
    REQUIRE(::chown(own.c_str(), nobody, nobody) == 0);
    const fs::path roots = scratch.write("roots.ini", "lock-timeout = 9\n", fs::perms(0644));
    const fs::path others = scratch.write("others.ini", "lock-timeout = 10\n", fs::perms(0644));
    REQUIRE(::chown(others.c_str(), 1, 1) == 0);  // daemon, or whoever has uid 1
    const auto as_nobody = [&](const fs::path& file) {
        return run_process({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            (scratch.root / "bin" / "migration-host").string(), "--config", file.string(), "config"},
                           {{"MIGRATION_HOST_CONFIG", ""}, {"ASAN_OPTIONS", "detect_leaks=0"}, {"LSAN_OPTIONS", ""}},
                           scratch.root.string());
    };
    const auto from_own = as_nobody(own);
    INFO(from_own.all());
    CHECK(from_own.exit_code == 0);
    CHECK(contains(from_own.out, "lock-timeout = 8  [lock-timeout in " + own.string() + " line 1]"));
    const auto from_root = as_nobody(roots);
    INFO(from_root.all());
    CHECK(from_root.exit_code == 0);
    CHECK(contains(from_root.out, "lock-timeout = 9  [lock-timeout in " + roots.string() + " line 1]"));
    const auto from_other = as_nobody(others);
    CHECK(contains(refusal(from_other), "file " + others.string() + " is owned by uid 1"));
    CHECK(contains(refusal(from_other), "neither root nor the user running the host (uid 65534 (nobody))"));
}

// The password must not go to a server, nor be taken from a file, that another user chose.
TEST_CASE("a password file another user could change is refused before any connection", "[config][cli][sqlite]") {
    const Scratch scratch;
    const fs::path database = scratch.root / "db.sqlite";
    const std::string secret = "pw-of-root-7c1e";
    const fs::path password = scratch.write("secret", secret + "\n", fs::perms(0600));
    const fs::path config = scratch.write("db.ini",
                                          "dsn = DRIVER=SQLite3;DATABASE=" + database.string() +
                                              "\npassword-file = secret\nno-default-plugins = true\n"
                                              "plugin-path = " CINDER_PLUGIN_DIR "\n",
                                          fs::perms(0600));
    const std::string named_by = "(named by password-file in " + config.string() + " line 2)";
    const auto upgrade = [&] { return run_in(scratch, {"--config", config.string(), "upgrade"}); };

    // 0600 and 0640, root's: used (SQLite takes no password; the database is created).
    for (const unsigned mode : {0600u, 0640u}) {
        INFO("mode " << mode);
        set_mode(password, mode);
        const auto used = upgrade();
        INFO(used.all());
        CHECK(used.exit_code == 0);
        CHECK(fs::exists(database));
        CHECK_FALSE(contains(used.all(), secret));
        fs::remove(database);
    }

    const auto refused_unsent = [&](const std::string& problem) {
        const auto result = upgrade();
        CHECK(contains(refusal(result), "refusing password file " + password.string() + " " + named_by +
                                            ", which another user could change: file " + password.string() + problem));
        CHECK_FALSE(fs::exists(database));  // no connection was made
        CHECK_FALSE(contains(result.all(), secret));
    };
    set_mode(password, 0620);
    refused_unsent(" is writable by group 0 (root) (mode 0620)");
    set_mode(password, 0602);
    refused_unsent(" is writable by everyone (mode 0602)");
    set_mode(password, 0600);
    if (owned_by_nobody(password)) {
        refused_unsent(" is owned by uid 65534 (nobody), neither root nor the user running the host (uid 0 (root))");
    }
}

TEST_CASE("an empty password file is called empty", "[config][cli]") {
    const Scratch scratch;
    const fs::path config = scratch.write("db.ini", "dsn = x\npassword-file = secret\n");
    for (const std::string content : {"", "\n", "\r\n"}) {
        INFO("content of " << content.size() << " bytes");
        scratch.write("secret", content);
        const auto result = run_in(scratch, {"--config", config.string(), "config"});
        check_usage_error(result, "password file " + (scratch.root / "secret").string() +
                                      " (named by password-file in " + config.string() + " line 2) is empty");
        CHECK_FALSE(contains(result.err, "ioctl"));
    }
    // An empty configuration file sets nothing.
    const fs::path empty = scratch.write("empty.ini", "");
    const auto result = run_in(scratch, {"--config", empty.string(), "config"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(config_line(result, "lock-timeout") == "lock-timeout = 60  [default]");
}

// Windows editors save UTF-8 with a byte order mark; it is not part of the first key.
TEST_CASE("a UTF-8 byte order mark at the start of the configuration file is skipped", "[config][cli]") {
    const Scratch scratch;
    const fs::path file = scratch.write("bom.ini", "\xEF\xBB\xBFlog-level = warn\nlock-timeout = 7\n");
    const auto result = run_in(scratch, {"--config", file.string(), "config"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(config_line(result, "log-level") == "log-level = warn  [log-level in " + file.string() + " line 1]");
    CHECK(config_line(result, "lock-timeout") == "lock-timeout = 7  [lock-timeout in " + file.string() + " line 2]");
    // Only there: anywhere else it is part of a name, and the name is unknown.
    const fs::path inside = scratch.write("inside.ini", "lock-timeout = 7\n\xEF\xBB\xBFlog-level = warn\n");
    check_usage_error(run_in(scratch, {"--config", inside.string(), "config"}),
                      inside.string() + " line 2: unknown setting '");
}

namespace {

// Every line the run wrote to stderr is at most `bound` bytes long.
void check_lines_bounded(const ProcessResult& result, std::size_t bound = 2000) {
    std::istringstream lines(result.err);
    std::string line;
    std::size_t longest = 0;
    while (std::getline(lines, line)) longest = std::max(longest, line.size());
    CHECK(longest <= bound);
}

// " and N more" at the end of a list of `total` items of which each one listed holds `marker`, with N right.
void check_rest_counted(const std::string& line, const std::string& marker, std::size_t total) {
    std::size_t listed = 0;
    for (auto at = line.find(marker); at != std::string::npos; at = line.find(marker, at + 1)) ++listed;
    INFO(line);
    CHECK(listed >= 1);
    CHECK(contains(line, "and " + std::to_string(total - listed) + " more"));
}

}  // namespace

TEST_CASE("a long list in an error is cut to its first items and says how many more there are",
          "[config][cli][sqlite]") {
    const Scratch scratch;
    const auto db = TestDatabase::create(Backend::sqlite);
    constexpr std::size_t many = 100000;
    std::string plugin_paths;
    for (std::size_t i = 0; i < many; ++i) {
        plugin_paths += "plugin-path = /nonexistent/plugins-" + std::to_string(i) + "\n";
    }
    const fs::path file = scratch.write("many.ini", "no-default-plugins = true\n" + plugin_paths);

    // Each directory is a problem: the error lists a few.
    const auto status = run_in(scratch, {"--config", file.string(), "--dsn", db->connection_string(), "status"});
    INFO(status.all().substr(0, 4000));
    CHECK(status.exit_code == 4);
    REQUIRE(error_lines(status.err).size() == 1);
    check_lines_bounded(status);
    check_rest_counted(error_lines(status.err).front(), "/nonexistent/plugins-", many);

    // Skipped, they are still searched: the plan's error lists a few. manila@1 requires cinder@1, which no
    // directory provides.
    const fs::path with_manila = scratch.write(
        "manila.ini", "no-default-plugins = true\nplugin-path = " TEST_PLUGIN_ROOT "/manila\n" + plugin_paths);
    const auto skipped = run_in(scratch, {"--config", with_manila.string(), "--skip-broken-plugins", "--log-level",
                                          "error", "--dsn", db->connection_string(), "plan"});
    INFO(skipped.all().substr(0, 4000));
    CHECK(skipped.exit_code == 4);
    REQUIRE(error_lines(skipped.err).size() == 1);
    check_lines_bounded(skipped);
    CHECK(contains(error_lines(skipped.err).front(), "(plugin directories searched: "));
    check_rest_counted(error_lines(skipped.err).front(), "/nonexistent/plugins-", many);

    // An unknown target lists a few of those there are.
    std::string targets;
    for (std::size_t i = 0; i < many; ++i) targets += "[target.tgt-" + std::to_string(i) + "]\n";
    const fs::path with_targets = scratch.write("targets.ini", targets);
    const auto unknown = run_in(scratch, {"--config", with_targets.string(), "--target", "qa", "config"});
    INFO(unknown.all().substr(0, 4000));
    CHECK(unknown.exit_code == 2);
    REQUIRE(error_lines(unknown.err).size() == 1);
    check_lines_bounded(unknown);
    check_rest_counted(error_lines(unknown.err).front(), "tgt-", many);

    // No list, but a value of a megabyte echoed back: the line loses its middle, keeps both ends, and says so.
    const fs::path huge = scratch.write("huge.ini", "lock-timeout = " + std::string(1000000, '9') + "\n");
    const auto echoed = run_in(scratch, {"--config", huge.string(), "config"});
    CHECK(echoed.exit_code == 2);
    REQUIRE(error_lines(echoed.err).size() == 1);
    check_lines_bounded(echoed, 8300);
    const std::string cut = error_lines(echoed.err).front();
    CHECK(contains(cut, "invalid lock-timeout in " + huge.string() + " line 1 '999"));
    CHECK(std::regex_search(cut, std::regex("999 \\[\\.\\.\\. [0-9]+ bytes left out \\.\\.\\.\\] 999")));
    CHECK(contains(cut, "999': expected a whole number of seconds from 0 to 86400 (see 'migration-host --help')"));
}
