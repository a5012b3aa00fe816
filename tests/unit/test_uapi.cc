// SPDX-License-Identifier: GPL-2.0
// The same checks, compiled as C++: a C++ engine includes the header too.
#include "test_uapi.c"
