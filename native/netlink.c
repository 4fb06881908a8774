// The one thing Node cannot do by itself for the FIB: an AF_NETLINK socket. This addon
// opens it, sends whole datagrams to the kernel and hands every received datagram to
// JavaScript from the event loop. Messages are encoded and decoded in TypeScript
// (src/fib/); nothing here knows rtnetlink.

#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <node_api.h>
#include <uv.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

// The kernel caps one dump datagram near 32 KiB; twice that never truncates.
#define RECV_BYTES 65536

typedef struct {
  int fd;
  uv_poll_t* poll;
  napi_env env;
  napi_ref on_data;
  napi_async_context async;
  int is_polling;
} nl_socket;

static napi_value throw_errno(napi_env env, const char* call, int err) {
  napi_value msg, code, error, num;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", call, strerror(err));
  const char* name = strerrorname_np(err);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", (napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &msg), msg));
  napi_throw(env, error);
  return NULL;
}

static nl_socket* unwrap(napi_env env, napi_value v) {
  void* data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "not a netlink socket handle");
    return NULL;
  }
  nl_socket* s = data;
  if (s->fd < 0) {
    napi_throw_error(env, "ECLOSED", "netlink socket is closed");
    return NULL;
  }
  return s;
}

static void on_poll_closed(uv_handle_t* h) { free(h); }

static void release(nl_socket* s) {
  if (s->poll != NULL) {
    uv_poll_stop(s->poll);
    uv_close((uv_handle_t*)s->poll, on_poll_closed);
    s->poll = NULL;
  }
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  if (s->on_data != NULL) napi_delete_reference(s->env, s->on_data);
  s->on_data = NULL;
  if (s->async != NULL) napi_async_destroy(s->env, s->async);
  s->async = NULL;
}

static void finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  nl_socket* s = data;
  release(s);
  free(s);
}

static void deliver(nl_socket* s, int err, const char* buf, size_t len) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, argv[2];
  napi_get_reference_value(env, s->on_data, &fn);
  napi_get_global(env, &recv);
  napi_create_int32(env, err, &argv[0]);
  if (buf != NULL) {
    void* out;
    napi_create_buffer_copy(env, len, buf, &out, &argv[1]);
  } else {
    napi_get_null(env, &argv[1]);
  }
  napi_value result;
  napi_status st = napi_make_callback(env, s->async, recv, fn, 2, argv, &result);
  if (st == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
    napi_fatal_exception(env, ex);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t* h, int status, int events) {
  (void)events;
  nl_socket* s = h->data;
  if (status < 0) {
    // libuv reports POLLERR as UV_EBADF and stops the handle. On a netlink socket that
    // is the receive queue overflowing (ENOBUFS, notifications lost): take the socket's
    // own error (reading it clears it), say it, and poll again, or no event would ever
    // be read from this socket afterwards.
    int err = 0;
    socklen_t len = sizeof err;
    if (s->fd < 0) return;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0) err = -status;
    deliver(s, err, NULL, 0);
    if (s->fd < 0 || s->poll == NULL) return;
    int rc = uv_poll_start(s->poll, UV_READABLE, on_readable);
    if (rc < 0) {
      deliver(s, -rc, NULL, 0);
      return;
    }
  }
  static char buf[RECV_BYTES];
  // Drain what is queued now, but give the loop back after a bounded amount of work.
  for (int i = 0; i < 256 && s->fd >= 0; i++) {
    ssize_t n = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      deliver(s, errno, NULL, 0);
      continue;
    }
    if ((size_t)n > sizeof buf) {
      deliver(s, EMSGSIZE, NULL, 0);
      continue;
    }
    deliver(s, 0, buf, (size_t)n);
  }
}

static int get_int(napi_env env, napi_value v, int32_t* out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

// open(protocol, receiveBufferBytes) -> handle
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t protocol = 0, rcvbuf = 0;
  if (argc < 2 || !get_int(env, argv[0], &protocol) || !get_int(env, argv[1], &rcvbuf)) {
    napi_throw_type_error(env, NULL, "open(protocol, receiveBufferBytes)");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  // Extended ACKs carry the kernel's reason text; capped ACKs leave the request out of
  // each error, so a batch's acknowledgements stay small in the receive buffer.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  struct sockaddr_nl addr;
  memset(&addr, 0, sizeof addr);
  addr.nl_family = AF_NETLINK;
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  nl_socket* s = calloc(1, sizeof *s);
  s->fd = fd;
  s->env = env;
  napi_value handle;
  napi_create_external(env, s, finalize, NULL, &handle);
  return handle;
}

// join(handle, group): NETLINK_ADD_MEMBERSHIP
static napi_value js_join(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nl_socket* s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  int32_t group = 0;
  if (!get_int(env, argv[1], &group)) {
    napi_throw_type_error(env, NULL, "join(handle, group)");
    return NULL;
  }
  if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

// dropOwnRouteAdds(handle, protocol, table): a socket filter (classic BPF) that drops
// RTM_NEWROUTE notifications of unicast routes with this protocol in this table (< 256):
// the FIB's own writes echoed back, which it ignores, and which would otherwise fill the
// receive buffer by the hundred thousand. Deletions and everyone else's routes pass.
// Notifications carry one message each, so the first header is the one to look at.
static napi_value js_drop_own_route_adds(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nl_socket* s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  int32_t protocol = 0, table = 0;
  if (argc < 3 || !get_int(env, argv[1], &protocol) || !get_int(env, argv[2], &table) || protocol < 0 || protocol > 255 || table < 0 || table > 255) {
    napi_throw_type_error(env, NULL, "dropOwnRouteAdds(handle, protocol 0-255, table 0-255)");
    return NULL;
  }
  // Offsets: nlmsg_type at 4 (host order; a half-word load reads it as htons would),
  // then struct rtmsg from 16: rtm_table at 20, rtm_protocol at 21, rtm_type at 23.
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htons(RTM_NEWROUTE), 0, 6),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NLMSG_HDRLEN + 5),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)protocol, 0, 4),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NLMSG_HDRLEN + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)table, 0, 2),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NLMSG_HDRLEN + 7),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RTN_UNICAST, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

// send(handle, bytes) -> bytes sent; one sendmsg, one datagram to the kernel
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nl_socket* s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  void* data = NULL;
  size_t len = 0;
  if (napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(handle, Uint8Array)");
    return NULL;
  }
  struct sockaddr_nl to;
  memset(&to, 0, sizeof to);
  to.nl_family = AF_NETLINK;
  ssize_t n;
  do n = sendto(s->fd, data, len, 0, (struct sockaddr*)&to, sizeof to);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, "sendto", errno);
  napi_value out;
  napi_create_int64(env, n, &out);
  return out;
}

// listen(handle, onData(errno, bytes|null)): datagrams as they arrive
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nl_socket* s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->poll != NULL) {
    napi_throw_error(env, NULL, "netlink socket is already listening");
    return NULL;
  }
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  napi_create_reference(env, argv[1], 1, &s->on_data);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "tsbgp:netlink", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &s->async);
  s->poll = malloc(sizeof *s->poll);
  int rc = uv_poll_init(loop, s->poll, s->fd);
  if (rc < 0) {
    free(s->poll);
    s->poll = NULL;
    return throw_errno(env, "uv_poll_init", -rc);
  }
  s->poll->data = s;
  uv_poll_start(s->poll, UV_READABLE, on_readable);
  return NULL;
}

// ref(handle, isRef): whether a listening socket keeps the process alive
static napi_value js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nl_socket* s = unwrap(env, argv[0]);
  if (s == NULL || s->poll == NULL) return NULL;
  bool is_ref = true;
  napi_get_value_bool(env, argv[1], &is_ref);
  if (is_ref) uv_ref((uv_handle_t*)s->poll);
  else uv_unref((uv_handle_t*)s->poll);
  return NULL;
}

// close(handle); closing twice is allowed
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void* data = NULL;
  if (napi_get_value_external(env, argv[0], &data) == napi_ok && data != NULL) release(data);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"join", NULL, js_join, NULL, NULL, NULL, napi_default, NULL},
      {"dropOwnRouteAdds", NULL, js_drop_own_route_adds, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"listen", NULL, js_listen, NULL, NULL, NULL, napi_default, NULL},
      {"ref", NULL, js_ref, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
