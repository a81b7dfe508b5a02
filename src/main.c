/*
 * main.c - the htdispatch program: everything is a subcommand (cli/).
 */
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	/* Call-id years and displayed times use the local time zone (TZ). */
	tzset();
	/* Everything we create (the database and its -wal/-shm files, the
	 * lexicon cache) holds information about victims: private to the
	 * user that runs htdispatch, wherever --db points. */
	umask(077);
	return cli_main(argc, argv);
}
