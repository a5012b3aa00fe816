// SPDX-License-Identifier: MIT
/*
 * The public header compiles as C++11 (-Wall -Wextra -Werror -pedantic)
 * and its functions link from C++ (extern "C"): engines are C++. Without
 * the extern "C" block this fails to link; with a C-only construct in the
 * header it fails to build.
 */
#include <dmabridge/dmabridge.h>

#include <cstdio>

int main()
{
	const char *s = dmab_strerror(DMAB_REASON_NO_MODULE);

	if (!s || !*s) {
		std::puts("FAIL: dmab_strerror(DMAB_REASON_NO_MODULE) is empty");
		return 1;
	}
	std::printf("ok: dmabridge.h as C++11, dmab_strerror linked: %s\n", s);
	return 0;
}
