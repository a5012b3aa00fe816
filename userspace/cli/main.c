// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dmabridge: the command a user runs to see whether the machine can move
 * file data into dma-bufs peer-to-peer, to bind a controller, and to
 * measure the paths. The command table is here; each family of commands
 * has a file (cmd_*.c). dmabridge(1) documents it.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmabridge/dmabridge.h>
#include <linux/dmabridge.h>

#include "cli.h"

#ifndef DMAB_CLI_VERSION
#define DMAB_CLI_VERSION "0"
#endif

static const struct cli_cmd commands[] = {
	{ "check", "[--no-vulkan]",
	  "is this machine ready for the direct path, and if not, why",
	  "  --no-vulkan     do not load libvulkan to look for exporting devices\n"
	  "exit status: 0 all OK, 1 the worst is a WARN, 3 a FAIL\n",
	  cmd_check },
	{ "list", "",
	  "NVMe controllers, their namespaces, block devices, sizes, SGL support",
	  "", cmd_list },
	{ "stats", "[--watch] [--interval SECS] [--count N] [CTRL]",
	  "the module's counters (and the library's of this command's last run)",
	  "  -w, --watch          print again every interval until interrupted\n"
	  "  -i, --interval SECS  seconds between samples (1); text shows rates\n"
	  "  -n, --count N        stop after N samples\n"
	  "  CTRL                 one controller: dmabridge0 or its PCI address\n",
	  cmd_stats },
	{ "bind", "[--force] [--persist] [--root DIR] BDF",
	  "give an NVMe controller to dmabridge",
	  "  -f, --force     bind even if the controller has users (mounts, swap, LVM/MD)\n"
	  "  -p, --persist   also bind it at every boot (a udev rule; says where)\n"
	  "      --root DIR  write the persistent configuration under DIR, not /\n",
	  cmd_bind },
	{ "unbind", "[--force] [--persist] [--root DIR] BDF",
	  "give a controller back to the stock nvme driver",
	  "  -f, --force     unbind even if its disks are mounted or its buffers in use\n"
	  "  -p, --persist   also remove it from the boot-time configuration\n"
	  "      --root DIR  the persistent configuration under DIR, not /\n",
	  cmd_unbind },
	{ "cp", "FILE --to udmabuf|vgem|vulkan [--verify] [--compat auto|on|off]",
	  "read a file into a fresh dma-buf through libdmabridge",
	  "  -t, --to EXP        the exporter of the new dma-buf: udmabuf, vgem, vulkan\n"
	  "  -V, --verify        compare the buffer with an ordinary read of the file\n"
	  "  -c, --compat MODE   auto (default), on (compat path only), off (direct only)\n"
	  "      --chunk SIZE    bytes per library call (8M); the progress step\n"
	  "      --progress      a progress bar even when stderr is not a terminal\n"
	  "      --no-progress   none even on a terminal\n",
	  cmd_cp },
	{ "bench", "--file FILE [--host-file FILE] [matrix options] [--plot PNG]",
	  "a throughput matrix: direct, compat and the stock driver's host memory",
	  "  -f, --file FILE       the file the direct and compat paths use (on a dmabridge disk)\n"
	  "  -H, --host-file FILE  the file the host path uses (on a stock-driver disk)\n"
	  "      --file-size SIZE  bytes of each file (256M); created and filled if shorter\n"
	  "  -p, --paths LIST      direct,compat,host (all given files allow)\n"
	  "  -d, --dirs LIST       read,write (read)\n"
	  "  -s, --sizes LIST      I/O sizes (4K,64K,1M,4M)\n"
	  "  -q, --qd LIST         requests in flight per thread (8)\n"
	  "  -j, --threads LIST    threads (1)\n"
	  "  -e, --exporters LIST  udmabuf,vgem,bar,vulkan (udmabuf)\n"
	  "  -t, --duration SECS   per cell (2)\n"
	  "      --random          random offsets (default: sequential)\n"
	  "      --rounds N        run the matrix N times, each cell keeps its median (1)\n"
	  "      --plot PNG        draw throughput and CPU per GiB against I/O size (gnuplot)\n"
	  "      --plot-size WxH   the picture's size in pixels (1200x900)\n",
	  cmd_bench },
};

const struct cli_cmd *cli_commands(unsigned int *count)
{
	*count = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

const struct cli_cmd *cli_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage_all(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: dmabridge [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n--json: machine-readable output (snake_case keys, numbers as numbers)\n"
		   "`dmabridge COMMAND --help` for a command's options; man dmabridge\n");
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", cli->prog, cli->cmd ? " " : "",
		cli->cmd ? cli->cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cli->cmd)
		fprintf(stderr, "usage: %s %s %s\n(`%s %s --help` for more)\n",
			cli->prog, cli->cmd->name, cli->cmd->synopsis, cli->prog,
			cli->cmd->name);
	else
		usage_all(stderr);
	return EXIT_USAGE;
}

int cli_fail(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", cli->prog, cli->cmd ? " " : "",
		cli->cmd ? cli->cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_help(struct cli *cli)
{
	const struct cli_cmd *c = cli->cmd;

	printf("usage: %s %s %s\n%s\n", cli->prog, c->name, c->synopsis, c->help);
	if (c->options && *c->options)
		printf("\noptions:\n%s", c->options);
	printf("      --json      machine-readable output\n  -h, --help      this text\n");
	return 0;
}

int cli_getopt_common(struct cli *cli, int c, int argc, char **argv)
{
	if (c == 'h')
		return cli_help(cli);
	if (c == ':')
		return cli_usage(cli, "option %s needs a value", argv[optind - 1]);
	if (c == '?') {
		if (optopt)
			return cli_usage(cli, "unknown option -%c", optopt);
		return cli_usage(cli, "unknown option %s",
				 optind > 0 && optind <= argc ? argv[optind - 1] : "");
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct cli cli = { .prog = "dmabridge" };
	const struct cli_cmd *cmd;
	int ret;

	argc = args_take_json(argc, argv, &cli.json);
	if (argc < 2)
		return cli_usage(&cli, "no command given");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2 && (cmd = cli_find(argv[2]))) {
			cli.cmd = cmd;
			return cli_help(&cli);
		}
		usage_all(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("dmabridge %s (libdmabridge %d.%d, module ABI %d.%d)\n",
		       DMAB_CLI_VERSION, DMAB_VERSION_MAJOR, DMAB_VERSION_MINOR,
		       DMABRIDGE_ABI_MAJOR, DMABRIDGE_ABI_MINOR);
		return 0;
	}
	if (argv[1][0] == '-')
		return cli_usage(&cli, "unknown option %s (options come after the command)",
				 argv[1]);
	cmd = cli_find(argv[1]);
	if (!cmd)
		return cli_usage(&cli, "unknown command '%s'", argv[1]);
	cli.cmd = cmd;
	cli.out = out_new(cli.json ? OUT_FMT_JSON : OUT_FMT_TEXT, stdout);
	/* the command's argv: argv[0] is its name, as getopt expects */
	opterr = 0;
	optind = 1;
	ret = cmd->fn(&cli, argc - 1, argv + 1);
	out_free(cli.out);
	return ret;
}
