{
  "targets": [
    {
      "target_name": "tsbgp_netlink",
      "sources": ["netlink.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "tsbgp_tcp",
      "sources": ["tcp.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
