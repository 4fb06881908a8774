// The socket options of a BGP session that Node's net module cannot set: TCP MD5
// signatures (RFC 2385, TCP_MD5SIG / TCP_MD5SIG_EXT with a prefix for address ranges),
// the outgoing TTL (ebgp-multihop, RFC 5082 GTSM's 255) and the least TTL accepted
// (IP_MINTTL / IPV6_MINHOPCOUNT, RFC 5082 3). Node keeps owning the sockets: this
// addon opens an unconnected one whose fd Node adopts, and sets options on any fd.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>

#ifndef TCP_MD5SIG_EXT
#define TCP_MD5SIG_EXT 32
#endif
#ifndef TCP_MD5SIG_FLAG_PREFIX
#define TCP_MD5SIG_FLAG_PREFIX 0x1
#endif
#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

static napi_value throw_errno(napi_env env, const char* call, int err) {
  napi_value msg, code, error, num, sys;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", call, strerror(err));
  const char* name = strerrorname_np(err);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int* out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected an integer");
    return 0;
  }
  return 1;
}

static int socket_family(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr*)&ss, &len) != 0) return -1;
  return ss.ss_family;
}

// open(family 4|6) -> fd: a non-blocking TCP socket, not yet bound or connected
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int family;
  if (argc < 1 || !arg_int(env, argv[0], &family)) return NULL;
  if (family != 4 && family != 6) {
    napi_throw_range_error(env, NULL, "family must be 4 or 6");
    return NULL;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return throw_errno(env, "socket", errno);
  napi_create_int32(env, fd, &out);
  return out;
}

// close(fd): for a socket that never reached Node
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  if (argc < 1 || !arg_int(env, argv[0], &fd)) return NULL;
  if (close(fd) != 0) return throw_errno(env, "close", errno);
  return NULL;
}

// setMd5(fd, address, prefixLength, key): key of the peer (or the range when
// prefixLength >= 0) on this socket; an empty key removes it. RFC 2385 2: the key
// signs every segment of the connection, so a listener needs it before the SYN.
static napi_value js_set_md5(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd, prefix_len;
  char address[INET6_ADDRSTRLEN];
  size_t address_len = 0;
  if (argc < 4 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[2], &prefix_len)) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "address must be a string");
    return NULL;
  }
  void* key = NULL;
  size_t key_len = 0;
  if (napi_get_typedarray_info(env, argv[3], NULL, &key_len, &key, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "key must be a Uint8Array");
    return NULL;
  }
  if (key_len > TCP_MD5SIG_MAXKEYLEN) {
    napi_throw_range_error(env, NULL, "key longer than 80 bytes");
    return NULL;
  }
  int family = socket_family(fd);
  if (family < 0) return throw_errno(env, "getsockname", errno);

  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  struct in_addr v4;
  struct in6_addr v6;
  if (inet_pton(AF_INET, address, &v4) == 1) {
    if (family == AF_INET6) {
      // An IPv4 peer reaches a dual-stack socket as ::ffff:a.b.c.d; the kernel files
      // the key under IPv4 and the prefix stays an IPv4 length.
      struct sockaddr_in6* sin6 = (struct sockaddr_in6*)&sig.tcpm_addr;
      sin6->sin6_family = AF_INET6;
      sin6->sin6_addr.s6_addr[10] = 0xff;
      sin6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&sin6->sin6_addr.s6_addr[12], &v4, 4);
    } else {
      struct sockaddr_in* sin = (struct sockaddr_in*)&sig.tcpm_addr;
      sin->sin_family = AF_INET;
      sin->sin_addr = v4;
    }
  } else if (inet_pton(AF_INET6, address, &v6) == 1) {
    if (family != AF_INET6) return throw_errno(env, "setsockopt(TCP_MD5SIG) IPv6 peer on an IPv4 socket", EAFNOSUPPORT);
    struct sockaddr_in6* sin6 = (struct sockaddr_in6*)&sig.tcpm_addr;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = v6;
  } else {
    napi_throw_type_error(env, NULL, "not an IP address");
    return NULL;
  }
  sig.tcpm_keylen = (unsigned short)key_len;
  if (key_len > 0) memcpy(sig.tcpm_key, key, key_len);
  int option = TCP_MD5SIG;
  if (prefix_len >= 0) {
    option = TCP_MD5SIG_EXT;
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    sig.tcpm_prefixlen = (unsigned char)prefix_len;
  }
  // Removing a key that is not there is already done.
  if (setsockopt(fd, IPPROTO_TCP, option, &sig, sizeof sig) != 0 && !(key_len == 0 && errno == ENOENT)) {
    return throw_errno(env, option == TCP_MD5SIG ? "setsockopt(TCP_MD5SIG)" : "setsockopt(TCP_MD5SIG_EXT)", errno);
  }
  return NULL;
}

// On an IPv6 socket both levels are set: IPv4 peers of a dual-stack socket use the IP
// level, IPv6 peers the IPV6 one.
static napi_value set_ttl_pair(napi_env env, napi_callback_info info, int v4_name, int v6_name, const char* what) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd, value;
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &value)) return NULL;
  int family = socket_family(fd);
  if (family < 0) return throw_errno(env, "getsockname", errno);
  char call[64];
  if (setsockopt(fd, IPPROTO_IP, v4_name, &value, sizeof value) != 0) {
    snprintf(call, sizeof call, "setsockopt(%s)", what);
    return throw_errno(env, call, errno);
  }
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, v6_name, &value, sizeof value) != 0) {
    snprintf(call, sizeof call, "setsockopt(IPV6 %s)", what);
    return throw_errno(env, call, errno);
  }
  return NULL;
}

static napi_value get_ttl(napi_env env, napi_callback_info info, int v4_name, int v6_name) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  if (argc < 1 || !arg_int(env, argv[0], &fd)) return NULL;
  int family = socket_family(fd);
  if (family < 0) return throw_errno(env, "getsockname", errno);
  int value = 0;
  socklen_t len = sizeof value;
  int rc = family == AF_INET6 ? getsockopt(fd, IPPROTO_IPV6, v6_name, &value, &len) : getsockopt(fd, IPPROTO_IP, v4_name, &value, &len);
  if (rc != 0) return throw_errno(env, "getsockopt", errno);
  napi_create_int32(env, value, &out);
  return out;
}

// setTtl(fd, ttl): the TTL (hop limit) of every packet sent
static napi_value js_set_ttl(napi_env env, napi_callback_info info) { return set_ttl_pair(env, info, IP_TTL, IPV6_UNICAST_HOPS, "IP_TTL"); }
// setMinTtl(fd, ttl): packets arriving with a lower TTL are dropped (0: off)
static napi_value js_set_min_ttl(napi_env env, napi_callback_info info) { return set_ttl_pair(env, info, IP_MINTTL, IPV6_MINHOPCOUNT, "IP_MINTTL"); }
// getTtl(fd), getMinTtl(fd): what is set, for tests and diagnostics
static napi_value js_get_ttl(napi_env env, napi_callback_info info) { return get_ttl(env, info, IP_TTL, IPV6_UNICAST_HOPS); }
static napi_value js_get_min_ttl(napi_env env, napi_callback_info info) { return get_ttl(env, info, IP_MINTTL, IPV6_MINHOPCOUNT); }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"setMd5", NULL, js_set_md5, NULL, NULL, NULL, napi_default, NULL},
      {"setTtl", NULL, js_set_ttl, NULL, NULL, NULL, napi_default, NULL},
      {"setMinTtl", NULL, js_set_min_ttl, NULL, NULL, NULL, napi_default, NULL},
      {"getTtl", NULL, js_get_ttl, NULL, NULL, NULL, napi_default, NULL},
      {"getMinTtl", NULL, js_get_min_ttl, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
