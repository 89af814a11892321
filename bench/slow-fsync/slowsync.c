#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>
#include <stdlib.h>
/*
 * Emulates a disk whose cache flush takes SLOWSYNC_US microseconds (default 5000): every fsync and
 * fdatasync of the process sleeps first. Used to compare the hub's send path on a slow-fsync disk
 * (earlier sessions' host measured ~5.8 ms per synced 4 KiB write) on a host whose fsync is fast.
 *   gcc -shared -fPIC -O2 -o /tmp/slowsync.so bench/slow-fsync/slowsync.c -ldl
 *   HUB_ENV="LD_PRELOAD=/tmp/slowsync.so SLOWSYNC_US=5000" bench/ab-send.sh <before> <after> ...
 */
static int delay(void){ const char*e=getenv("SLOWSYNC_US"); return e?atoi(e):5000; }
int fsync(int fd){ static int(*real)(int); if(!real) real=(int(*)(int))dlsym(RTLD_NEXT,"fsync"); usleep(delay()); return real(fd); }
int fdatasync(int fd){ static int(*real)(int); if(!real) real=(int(*)(int))dlsym(RTLD_NEXT,"fdatasync"); usleep(delay()); return real(fd); }
