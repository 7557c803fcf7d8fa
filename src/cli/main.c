/* main.c - command line parsing and dispatch */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/commands.h"
#include "report/report.h"
#include "run/run.h"
#include "util/log.h"
#include "util/util.h"

#define DEFAULT_CONFIG SYSCONFDIR "/licsync/licsync.conf"

struct globals {
	const char *config;
	bool quiet;
};

struct command {
	const char *name;
	int (*fn)(const struct globals *g, int argc, char **argv);
	const char *args;
	const char *summary;
};

static int cmd_check(const struct globals *g, int argc, char **argv);
static int cmd_plan(const struct globals *g, int argc, char **argv);
static int cmd_apply(const struct globals *g, int argc, char **argv);
static int cmd_audit(const struct globals *g, int argc, char **argv);
static int cmd_explain(const struct globals *g, int argc, char **argv);
static int cmd_status(const struct globals *g, int argc, char **argv);
static int cmd_help(const struct globals *g, int argc, char **argv);

static const struct command commands[] = {
	{ "check", cmd_check, "[--dump | --online]",
	  "validate the configuration and policy; --online: also what they "
	  "reach" },
	{ "plan", cmd_plan, "[--format text|json|csv|html] [-o FILE] "
	  "[--wait SECONDS]\n          [--metrics FILE] [--full-read]",
	  "print the changes the policy calls for; change nothing" },
	{ "apply", cmd_apply, "[--format text|json|csv|html] [-o FILE] "
	  "[--wait SECONDS]\n          [--metrics FILE] [--full-read] [--force] "
	  "[--plan FILE [--prune]]",
	  "carry out the plan through the backend" },
	{ "status", cmd_status, "[--live] [--format text|json|csv|html] "
	  "[--metrics FILE]",
	  "seats per app: purchased, used, entitled, waiting, freeable" },
	{ "explain", cmd_explain, "[--format text|json|csv] [--events N] USER",
	  "why USER has, or has not, each app; change nothing" },
	{ "audit", cmd_audit, "[--runs] [--run N|last] [--since TIME] "
	  "[--until TIME]\n          [--user KEY] [--app NAME] "
	  "[--action assign|unassign]\n          "
	  "[--result ok|failed|skipped|pending] [--format text|json|csv]\n"
	  "         | --verify | --prune-before TIME [--wait SECONDS]",
	  "list recorded changes (or runs); check or prune the trail" },
	{ "help", cmd_help, "[COMMAND]",
	  "show this help, or a command's" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: licsync [-c FILE] [-v] [-q] COMMAND [ARGS]\n"
	    "       licsync --version\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-7s %s\n          %s\n", commands[i].name,
		    commands[i].args, commands[i].summary);
	fprintf(fp, "\n  -c FILE  configuration (default %s)\n"
	    "  -v       more output (debug)\n"
	    "  -q       quiet: nothing unless something changed or failed\n"
	    "See licsync(8).\n", DEFAULT_CONFIG);
}

static void
command_usage(FILE *fp, const struct command *c)
{
	fprintf(fp, "usage: licsync [-c FILE] %s %s\n  %s\n", c->name, c->args,
	    c->summary);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* True when ARGV asks for the command's help. */
static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int
cmd_check(const struct globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dump", no_argument, NULL, 'd' },
		{ "online", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	bool dump = false, online = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'd')
			dump = true;
		else if (ch == 'n')
			online = true;
		else
			goto usage;
	}
	if (optind != argc || (dump && online))
		goto usage;
	return run_check(g->config, dump, online);
usage:
	command_usage(stderr, find_command("check"));
	return EXIT_USAGE;
}

/* OPT's value S: a whole number from 0 to MAX (of UNIT, if any). */
static int
number_arg(const char *opt, const char *s, long max, const char *unit,
    int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0 || v > max || errno != 0) {
		log_error("%s '%s': a number %s%sfrom 0 to %ld", opt, s,
		    unit != NULL ? unit : "", unit != NULL ? " " : "", max);
		return EXIT_USAGE;
	}
	*out = (int)v;
	return EXIT_OK;
}

/* The options of plan and apply into O, from the global ones and ARGV;
 * APPLY allows apply's own. */
static int
plan_options(const struct globals *g, const char *name, bool apply, int argc,
    char **argv, struct plan_opts *o)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "wait", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'F' },
		{ "plan", required_argument, NULL, 'p' },
		{ "prune", no_argument, NULL, 'P' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "full-read", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->config_path = g->config;
	o->quiet = g->quiet;
	o->format = REPORT_TEXT;
	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (report_parse_format(optarg, &o->format) != 0) {
				log_error("unknown format '%s' (use text, json, "
				    "csv or html)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			o->out_file = optarg;
			break;
		case 'm':
			o->metrics_file = optarg;
			break;
		case 'R':
			o->full_read = true;
			break;
		case 'w':
			if (number_arg("--wait", optarg, 86400, "of seconds",
			    &o->wait) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'F':
		case 'p':
		case 'P':
			if (!apply)
				goto usage;
			if (ch == 'F')
				o->force = true;
			else if (ch == 'p')
				o->plan_file = optarg;
			else
				o->prune = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || (o->prune && o->plan_file == NULL))
		goto usage;
	return EXIT_OK;
usage:
	command_usage(stderr, find_command(name));
	return EXIT_USAGE;
}

static int
cmd_plan(const struct globals *g, int argc, char **argv)
{
	struct plan_opts o;
	int r;

	if ((r = plan_options(g, "plan", false, argc, argv, &o)) != EXIT_OK)
		return r;
	return run_plan(&o);
}

static int
cmd_apply(const struct globals *g, int argc, char **argv)
{
	struct plan_opts o;
	int r;

	if ((r = plan_options(g, "apply", true, argc, argv, &o)) != EXIT_OK)
		return r;
	return run_apply(&o);
}

static int
cmd_audit(const struct globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "since", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "app", required_argument, NULL, 'a' },
		{ "result", required_argument, NULL, 'R' },
		{ "until", required_argument, NULL, 'U' },
		{ "action", required_argument, NULL, 'A' },
		{ "runs", no_argument, NULL, 'N' },
		{ "verify", no_argument, NULL, 'V' },
		{ "prune-before", required_argument, NULL, 'B' },
		{ "wait", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct audit_opts o;
	bool wait = false;
	int ch;

	memset(&o, 0, sizeof(o));
	o.config_path = g->config;
	o.format = REPORT_TEXT;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': o.run = optarg; break;
		case 's': o.since = optarg; break;
		case 'u': o.user = optarg; break;
		case 'a': o.app = optarg; break;
		case 'R': o.result = optarg; break;
		case 'U': o.until = optarg; break;
		case 'A': o.action = optarg; break;
		case 'N': o.runs = true; break;
		case 'V': o.verify = true; break;
		case 'B': o.prune_before = optarg; break;
		case 'w':
			if (number_arg("--wait", optarg, 86400, "of seconds",
			    &o.wait) != EXIT_OK)
				return EXIT_USAGE;
			wait = true;
			break;
		case 'f':
			if (report_parse_format(optarg, &o.format) != 0 ||
			    o.format == REPORT_HTML) {
				log_error("unknown format '%s' (use text, json "
				    "or csv)", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			command_usage(stderr, find_command("audit"));
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (wait && o.prune_before == NULL)) {
		command_usage(stderr, find_command("audit"));
		return EXIT_USAGE;
	}
	return run_audit(&o);
}

static int
cmd_status(const struct globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "live", no_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "metrics", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct status_opts o;
	int ch;

	memset(&o, 0, sizeof(o));
	o.config_path = g->config;
	o.format = REPORT_TEXT;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'l') {
			o.live = true;
		} else if (ch == 'm') {
			o.metrics_file = optarg;
		} else if (ch == 'f') {
			if (report_parse_format(optarg, &o.format) != 0) {
				log_error("unknown format '%s' (use text, json, "
				    "csv or html)", optarg);
				return EXIT_USAGE;
			}
		} else {
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	return run_status(&o);
usage:
	command_usage(stderr, find_command("status"));
	return EXIT_USAGE;
}

static int
cmd_explain(const struct globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "events", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	struct explain_opts o;
	int ch;

	memset(&o, 0, sizeof(o));
	o.config_path = g->config;
	o.format = REPORT_TEXT;
	o.events = 5;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'f') {
			if (report_parse_format(optarg, &o.format) != 0 ||
			    o.format == REPORT_HTML) {
				log_error("unknown format '%s' (use text, json "
				    "or csv)", optarg);
				return EXIT_USAGE;
			}
		} else if (ch == 'e') {
			if (number_arg("--events", optarg, 1000, NULL,
			    &o.events) != EXIT_OK)
				return EXIT_USAGE;
		} else {
			goto usage;
		}
	}
	if (optind + 1 != argc || *argv[optind] == '\0')
		goto usage;
	o.user = argv[optind];
	return run_explain(&o);
usage:
	command_usage(stderr, find_command("explain"));
	return EXIT_USAGE;
}

static int
cmd_help(const struct globals *g, int argc, char **argv)
{
	const struct command *c;

	(void)g;
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if ((c = find_command(argv[1])) == NULL) {
		log_error("unknown command '%s'", argv[1]);
		return EXIT_USAGE;
	}
	command_usage(stdout, c);
	return EXIT_OK;
}

/*
 * A core dump of licsync would hold the client secret (in the token
 * request), the bind password and bearer tokens: none is written, and
 * the process cannot be attached to by other processes of its user.
 */
static void
no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0)
		log_warning("cannot turn core dumps off: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warning("cannot make the process undumpable: %s",
		    strerror(errno));
}

/* What the kernel says of it, for -v. */
static void
log_core_dumps(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
	    rl.rlim_max == 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
		log_debug("core dumps off, process not dumpable");
	else
		log_debug("core dumps are possible");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct globals g = { DEFAULT_CONFIG, false };
	const struct command *c;
	int ch;

	no_core_dumps();
	while ((ch = getopt_long(argc, argv, "+c:vqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			g.config = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_LVL_ERROR);
			g.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("licsync %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	log_core_dumps();
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((c = find_command(argv[optind])) == NULL) {
		log_error("unknown command '%s'", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (wants_help(argc, argv)) {
		command_usage(stdout, c);
		return EXIT_OK;
	}
	/* 0 starts getopt afresh, without main's "+": a command's options
	 * may follow its arguments (explain USER --format json). */
	optind = 0;
	return c->fn(&g, argc, argv);
}
