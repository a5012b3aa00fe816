// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* dmabridge list: controllers, namespaces, block devices, sizes, SGL. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sys.h"
#include "report.h"

void report_users(struct out *o, const struct sys_ctrl *c)
{
	unsigned int i;

	out_list(o, "users", OUT_ROWS);
	for (i = 0; i < c->nusers; i++) {
		out_obj(o, NULL);
		out_str(o, "kind", c->users[i].kind);
		out_str(o, "device", c->users[i].dev);
		out_str(o, "what", c->users[i].what);
		out_end(o);
	}
	out_end(o);
}

void report_ctrl(struct out *o, const struct sys_ctrl *c)
{
	unsigned int i;

	out_obj(o, NULL);
	out_str(o, "pci_address", c->bdf);
	out_str(o, "driver", c->driver[0] ? c->driver : NULL);
	out_str(o, "name", c->name[0] ? c->name : NULL);
	out_str(o, "model", c->model[0] ? c->model : NULL);
	out_str(o, "serial", c->serial[0] ? c->serial : NULL);
	out_str(o, "firmware", c->firmware[0] ? c->firmware : NULL);
	out_strf(o, "pci_id", "%04x:%04x", c->vendor, c->device);
	out_str(o, "driver_override", c->override[0] ? c->override : NULL);
	out_str(o, "state", c->state[0] ? c->state : NULL);
	if (c->sgl_supported < 0)
		out_null(o, "sgl_supported");
	else
		out_bool(o, "sgl_supported", c->sgl_supported);
	if (c->sgl_in_use >= 0)
		out_bool(o, "sgl_in_use", c->sgl_in_use);
	if (c->queue_count)
		out_u64(o, "io_queues", c->queue_count);
	out_list(o, "block_devices", OUT_TABLE);
	for (i = 0; i < c->ndisks; i++) {
		const struct sys_disk *d = &c->disks[i];

		out_obj(o, NULL);
		out_str(o, "device", d->name);
		if (d->partition)
			out_null(o, "nsid");
		else
			out_u64(o, "nsid", d->nsid);
		out_bool(o, "partition", d->partition);
		out_bytes(o, "size", d->size);
		out_u64(o, "block_size", d->lbs);
		out_end(o);
	}
	out_end(o);
	report_users(o, c);
	out_end(o);
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sys_ctrl *c;
	unsigned int n, i;
	int ch, ret;

	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		if ((ret = cli_getopt_common(cli, ch, argc, argv)) >= 0)
			return ret;
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	ret = sys_controllers(&c, &n);
	if (ret)
		return cli_fail(cli, "cannot read /sys/bus/pci/devices: %s", strerror(-ret));
	out_obj(cli->out, NULL);
	out_list(cli->out, "controllers", OUT_RECORDS);
	for (i = 0; i < n; i++)
		report_ctrl(cli->out, &c[i]);
	out_end(cli->out);
	out_end(cli->out);
	free(c);
	return 0;
}
