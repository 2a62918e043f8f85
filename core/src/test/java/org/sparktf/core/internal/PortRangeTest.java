package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortRangeTest {
  @Test
  void invalidRangesAreRefusedWithTheRule() {
    assertThatThrownBy(() -> PortRange.of(40_100, 40_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid port range 40100-40000: it needs 1 <= FROM <= TO <= 65535, e.g. 40000-40100");
    assertThatThrownBy(() -> PortRange.of(0, 10))
        .hasMessageStartingWith("Invalid port range 0-10: it needs 1 <= FROM");
    assertThatThrownBy(() -> PortRange.of(60_000, 70_000))
        .hasMessageStartingWith("Invalid port range 60000-70000");
    assertThatThrownBy(() -> PortRange.parse("40000:40100"))
        .hasMessage(
            "Invalid port range in spark.sparktf.ports: '40000:40100'; write it as FROM-TO,"
                + " e.g. 40000-40100");
    assertThatThrownBy(() -> PortRange.parse("9-3"))
        .hasMessage(
            "Invalid port range in spark.sparktf.ports: '9-3'; it needs 1 <= FROM <= TO <= 65535");
    assertThat(PortRange.parse(" 40000 - 40100 ")).isEqualTo(PortRange.of(40_000, 40_100));
  }

  @Test
  void bindsFreePortsInsideTheRangeUntilEveryOneIsTaken() throws Exception {
    int base;
    try (ServerSocket probe = new ServerSocket(0)) {
      base = probe.getLocalPort();
    }
    int to = Math.min(65_535, base + 2);
    PortRange range = PortRange.of(base, to);
    InetAddress loopback = InetAddress.getLoopbackAddress();
    List<ServerSocket> bound = new ArrayList<>();
    boolean refused = false;
    try {
      // The range has at most three ports; another process may hold some of them.
      for (int i = 0; i < 4; i++) {
        try {
          bound.add(range.bind(loopback, 1));
        } catch (BindException e) {
          assertThat(e)
              .hasMessage(
                  "Cannot listen on 127.0.0.1: every port of the range "
                      + range
                      + " is in use; widen portRange / spark.sparktf.ports");
          refused = true;
          break;
        }
      }
      assertThat(refused).isTrue();
      assertThat(bound).isNotEmpty().hasSizeLessThanOrEqualTo(to - base + 1);
      assertThat(bound).allMatch(s -> range.contains(s.getLocalPort()));
      assertThat(bound.stream().map(ServerSocket::getLocalPort).distinct()).hasSameSizeAs(bound);
    } finally {
      for (ServerSocket socket : bound) {
        socket.close();
      }
    }
  }
}
