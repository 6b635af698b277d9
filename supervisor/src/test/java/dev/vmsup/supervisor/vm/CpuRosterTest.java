package dev.vmsup.supervisor.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.qmp.HotpluggableCpu;

/** The bookkeeping that spares a hotplug its query-cpus-fast: it knows a plugged CPU only when nothing is uncertain. */
class CpuRosterTest {
    private static final CpuInfo CPU0 = new CpuInfo(0, "/machine/unattached/device[0]", 100, Map.of("socket-id", 0L));

    private static HotpluggableCpu slot(long socket, boolean plugged) {
        return new HotpluggableCpu("qemu64-x86_64-cpu", 1, Map.of("socket-id", socket, "core-id", 0L, "thread-id", 0L),
                plugged ? "/machine/peripheral/cpu-" + socket : null);
    }

    private static CpuRoster answered() {
        CpuRoster r = new CpuRoster();
        r.answered(List.of(CPU0));
        r.slotsAnswered(List.of(slot(2, false), slot(0, true), slot(1, false)));
        return r;
    }

    @Test
    void aPlugThatMadeOneVcpuThreadIsKnownWithoutAskingQemu() {
        CpuRoster r = answered();
        assertThat(r.lowestFreeSlot().props()).containsEntry("socket-id", 1L);
        r.plugged("/machine/peripheral/cpu-1", List.of(101), List.of(1));
        assertThat(r.cpusCurrent()).isTrue();
        assertThat(r.cpus()).containsExactly(CPU0, new CpuInfo(1, "/machine/peripheral/cpu-1", 101,
                Map.of("socket-id", 1L, "core-id", 0L, "thread-id", 0L)));
        assertThat(r.lowestFreeSlot().props()).as("the next slot").containsEntry("socket-id", 2L);
    }

    @Test
    void anythingUncertainMakesItAskAgain() {
        CpuRoster none = answered();
        none.plugged("/machine/peripheral/cpu-1", List.of(), List.of());
        assertThat(none.cpusCurrent()).as("no new vCPU thread found").isFalse();

        CpuRoster two = answered();
        two.plugged("/machine/peripheral/cpu-1", List.of(101, 102), List.of(1, 2));
        assertThat(two.cpusCurrent()).as("two new vCPU threads").isFalse();

        CpuRoster listed = answered();
        listed.plugged("/machine/peripheral/cpu-1", List.of(100), List.of(1));
        assertThat(listed.cpusCurrent()).as("a thread already listed").isFalse();

        CpuRoster sameIndex = answered();
        sameIndex.plugged("/machine/peripheral/cpu-1", List.of(101), List.of(0));
        assertThat(sameIndex.cpusCurrent()).as("an index already listed").isFalse();

        CpuRoster forgotten = answered();
        forgotten.forget();
        assertThat(forgotten.cpusCurrent()).isFalse();
        assertThat(forgotten.slotsKnown()).isFalse();
        forgotten.answered(List.of(CPU0));
        assertThat(forgotten.cpusCurrent()).as("QEMU's answer is the truth again").isTrue();
    }

    @Test
    void neverKnownBeforeQemuAnswered() {
        CpuRoster r = new CpuRoster();
        assertThat(r.cpusCurrent()).isFalse();
        r.slotsAnswered(List.of(slot(1, false)));
        r.plugged("/machine/peripheral/cpu-1", List.of(101), List.of(1));
        assertThat(r.cpusCurrent()).isFalse();
        assertThatThrownBy(r::lowestFreeSlot).isInstanceOf(CpuHotplugException.class).hasMessageContaining("no free");
    }
}
