/*
 * main.c - the htdispatch program: everything is a subcommand (cli/).
 */
#include <time.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	/* Call-id years and displayed times use the local time zone (TZ). */
	tzset();
	return cli_main(argc, argv);
}
