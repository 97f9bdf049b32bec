import { describe, expect, it } from "vitest";
import { clientNetwork } from "./client-network";

describe("clientNetwork", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::7", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:ffff::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:3:4:198.51.100.1", "2001:db8:1:2::/64"],
    ["::1:2:3:4:5:6:7", "0:1:2:3::/64"],
    ["2001:db8::", "2001:db8:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
  ])("counts %s as %s", (ip, network) => {
    expect(clientNetwork(ip)).toBe(network);
  });

  it("puts every address of one /64 together and neighbouring /64s apart", () => {
    expect(clientNetwork("2001:db8:a:b::1")).toBe(
      clientNetwork("2001:db8:a:b:ffff:ffff:ffff:ffff"),
    );
    expect(clientNetwork("2001:db8:a:b::1")).not.toBe(clientNetwork("2001:db8:a:c::1"));
  });
});
