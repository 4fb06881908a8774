// Capture aid for src/fib/fixtures: loaded with LD_PRELOAD into `ip`, it appends every
// netlink datagram the program sends to $NL_CAPTURE as one hex line, then sends it as
// usual. Build: cc -shared -fPIC -o /tmp/capture-sendmsg.so capture-sendmsg.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/netlink.h>

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  static ssize_t (*real)(int, const struct msghdr*, int);
  if (real == NULL) real = (ssize_t(*)(int, const struct msghdr*, int))dlsym(RTLD_NEXT, "sendmsg");
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  const char* path = getenv("NL_CAPTURE");
  if (path != NULL && getsockname(fd, (struct sockaddr*)&sa, &len) == 0 && sa.ss_family == AF_NETLINK) {
    FILE* out = fopen(path, "a");
    if (out != NULL) {
      for (size_t i = 0; i < msg->msg_iovlen; i++) {
        const unsigned char* p = msg->msg_iov[i].iov_base;
        for (size_t j = 0; j < msg->msg_iov[i].iov_len; j++) fprintf(out, "%02x", p[j]);
      }
      fputc('\n', out);
      fclose(out);
    }
  }
  return real(fd, msg, flags);
}
