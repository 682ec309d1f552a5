// Compiles one C++ SDK header with nothing before it (SDK_HEADER, set per target in tests/CMakeLists.txt) as strict C++17.
// SPDX-License-Identifier: Apache-2.0
#include SDK_HEADER
