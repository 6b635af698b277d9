package dev.vmsup.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/** The connect attempts' waits: doubling from the first, capped, for any attempt count Resilience4j may reach. */
class ConnectBackoffTest {
    @Test
    void doublesFromTheFirstWaitUpToTheLongest() {
        ConnectBackoff b = new ConnectBackoff(Duration.ofMillis(2), Duration.ofMillis(10));
        assertThat(IntStream.rangeClosed(1, 6).mapToObj(b::apply)).containsExactly(2L, 4L, 8L, 10L, 10L, 10L);
        assertThat(b.apply(Integer.MAX_VALUE)).isEqualTo(10L);
    }

    @Test
    void neverOverflowsNearTheLargestWait() {
        ConnectBackoff b = new ConnectBackoff(Duration.ofMillis(3), Duration.ofMillis(Long.MAX_VALUE - 1));
        assertThat(b.apply(62)).isEqualTo(3L << 61);
        assertThat(b.apply(63)).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(b.apply(Integer.MAX_VALUE)).isEqualTo(Long.MAX_VALUE - 1);
    }

    @Test
    void refusesWaitsBelowOneMillisecondOrALongestBelowTheFirst() {
        assertThatThrownBy(() -> new ConnectBackoff(Duration.ZERO, Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 ms");
        assertThatThrownBy(() -> new ConnectBackoff(Duration.ofMillis(20), Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("20 ms and 10 ms");
        assertThatThrownBy(() -> new ConnectBackoff(Duration.ofMillis(2), Duration.ofMillis(10)).apply(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }
}
