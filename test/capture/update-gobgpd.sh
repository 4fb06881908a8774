#!/bin/sh
# The routes added to (and removed from) gobgpd for src/wire/fixtures/update-gobgp.ts,
# against the API of test/capture/update-gobgpd.toml. See update-capture.md.
set -e
G="gobgp -p 50221 global rib"
$G -a ipv4 add 172.17.254.1/32 origin incomplete nexthop 172.17.0.21
$G -a ipv4 add 198.51.100.0/24 origin igp aspath 65010,65020 nexthop 172.17.0.21 med 100 community 65001:100,no-export large-community 65001:1:2
$G -a ipv4 add 203.0.113.0/25 origin egp aspath 4200000001,65030 nexthop 172.17.0.21 aggregator 4200000002:192.0.2.1 community 65001:300
$G -a ipv6 add 2001:db8:100::/48 origin igp nexthop 2001:db8::21 med 20 community 65001:200
$G -a ipv4 add 198.51.100.0/24 identifier 7 origin igp aspath 65011 nexthop 172.17.0.22 med 200
sleep 2
$G -a ipv4 del 172.17.254.1/32
$G -a ipv6 del 2001:db8:100::/48
