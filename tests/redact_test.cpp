// redact_secrets: no password survives in any text the host prints or logs.
#include <catch2/catch.hpp>

#include "database/redact.hpp"

using migration_host::redact_secrets;

TEST_CASE("passwords are replaced in connection strings, any case, braced or not", "[redact]") {
    CHECK(redact_secrets("DRIVER={MariaDB Unicode};SERVER=h;UID=u;PWD=s3cret;DATABASE=d") ==
          "DRIVER={MariaDB Unicode};SERVER=h;UID=u;PWD=***;DATABASE=d");
    CHECK(redact_secrets("Password=hunter2") == "Password=***");
    CHECK(redact_secrets("uid=a;pwd={se;cr}}et};port=1") == "uid=a;pwd=***;port=1");
    CHECK(redact_secrets("PASSWD = x y z") == "PASSWD =***");
    CHECK(redact_secrets("cannot connect to DSN=x;Pwd=abc: [28000] denied") == "cannot connect to DSN=x;Pwd=***");
}

TEST_CASE("text without secrets is left as it is", "[redact]") {
    CHECK(redact_secrets("UID=pwdholder;SERVER=password.example") == "UID=pwdholder;SERVER=password.example");
    CHECK(redact_secrets("") == "");
    CHECK(redact_secrets("pwdhint=1;passwordless=yes") == "pwdhint=1;passwordless=yes");
}

TEST_CASE("keys that end in a password word are secrets too", "[redact]") {
    CHECK(redact_secrets("SSLMODE=require;TLSKEYPASSWORD=hunter2;X=1") == "SSLMODE=require;TLSKEYPASSWORD=***;X=1");
}

TEST_CASE("a password that starts with *** is still redacted", "[redact]") {
    CHECK(redact_secrets("UID=u;PWD=***hunter2;X=1") == "UID=u;PWD=***;X=1");
}

TEST_CASE("redacting twice keeps what follows a redacted value", "[redact]") {
    const auto once = redact_secrets("DSN=x;PWD=abc") + ": [28000] access denied";
    CHECK(redact_secrets(once) == "DSN=x;PWD=***: [28000] access denied");
}
