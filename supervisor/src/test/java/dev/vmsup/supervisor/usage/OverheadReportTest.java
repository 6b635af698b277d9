package dev.vmsup.supervisor.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The advisor's model on hand-made samples: figures, rates, the recommendation's rounding and margin. */
class OverheadReportTest {
    private static final long MIB = 1024 * 1024;
    private static final Subjects SANDBOX = new Subjects(1, 2, 3, List.of(20L, 21L), List.of(), 256 * MIB, 64 * MIB);

    /** A sample at {@code 2t} s: vmsup's CPU so far {@code vmsupCpuMs}, vmsup PSS {@code vmsupMib} MiB. */
    private static UsageSample sample(int t, long vmsupCpuMs, long vmsupMib, long guestMib) {
        Map<String, Long> cpu = Map.of("vmsup", vmsupCpuMs * 1000, "qemu_vcpus", t * 1_800_000L, "qemu_other",
                t * 20_000L, "virtiofsd", t * 10_000L, "kernel_threads", 0L);
        Map<String, Integer> tasks = Map.of("vmsup", 20, "qemu_vcpus", 2, "qemu_other", 3, "virtiofsd", 2,
                "kernel_threads", 0);
        Map<String, ProcessMemory> mem = Map.of(
                "vmsup", new ProcessMemory(vmsupMib * MIB, vmsupMib * MIB, vmsupMib * MIB, 0, 0, 0),
                "qemu", new ProcessMemory((20 + guestMib) * MIB, (20 + guestMib) * MIB, 20 * MIB, 0, guestMib * MIB,
                        guestMib * MIB),
                "virtiofsd", new ProcessMemory(2 * MIB, 2 * MIB, MIB, 0, 0, 0));
        return new UsageSample(t * 2000L, cpu, tasks, mem);
    }

    @Test
    void memoryOutsideGuestRamAndCpuOutsideVcpusWithTheirPeaks() {
        List<UsageSample> samples = new ArrayList<>();
        long[] vmsupMib = {30, 40, 35, 36};
        long[] vmsupCpuMs = {0, 40, 80, 480}; // 20m, 20m, then 200m over 2 s steps
        for (int t = 0; t < 4; t++) {
            samples.add(sample(t, vmsupCpuMs[t], vmsupMib[t], 100 + t));
        }
        OverheadReport r = OverheadReport.of(samples, SANDBOX, 20);

        assertThat(r.memoryBytes().get("vmsup")).isEqualTo(new Figure(36 * MIB, 40 * MIB, 40 * MIB));
        assertThat(r.memoryBytes().get("qemu").current()).as("QEMU without the guest's RAM").isEqualTo(20 * MIB);
        assertThat(r.memoryBytes().get("total")).isEqualTo(new Figure(58 * MIB, 62 * MIB, 62 * MIB));
        assertThat(r.guestRamResident().current()).isEqualTo(103 * MIB);
        assertThat(r.guestBaseBytes()).as("256 MiB guest, 64 MiB of container limits").isEqualTo(192 * MIB);
        assertThat(r.cpuMillicores().get("vmsup")).isEqualTo(new Figure(200, 200, 200));
        assertThat(r.cpuMillicores().get("qemu_vcpus").current()).isEqualTo(900);
        // non-vCPU: vmsup + qemu_other (10m) + virtiofsd (5m)
        assertThat(r.cpuMillicores().get("total")).isEqualTo(new Figure(215, 215, 215));
        assertThat(r.windowMillis()).isEqualTo(6000);
        // (62 + 192) MiB x 1.2 = 304.8 -> 305 MiB; 215m x 1.2 = 258m
        assertThat(r.recommendedMemoryBytes()).isEqualTo(305 * MIB);
        assertThat(r.memoryQuantity()).isEqualTo("305Mi");
        assertThat(r.cpuQuantity()).isEqualTo("258m");
        assertThat(r.runtimeClassYaml("kata-vmsup")).contains("name: kata-vmsup", "handler: kata-vmsup",
                "cpu: \"258m\"", "memory: \"305Mi\"", "margin 20%");
    }

    @Test
    void aStepShorterThanTwoSecondsIsFoldedIntoTheNext() {
        // periodic samples at 0 s and 5 s, then one a request took 10 ms later with one more 10 ms tick of vmsup
        UsageSample a = sample(0, 0, 30, 0);
        UsageSample b = new UsageSample(5000, Map.of("vmsup", 100_000L, "qemu_vcpus", 0L, "qemu_other", 0L,
                "virtiofsd", 0L, "kernel_threads", 0L), a.tasks(), a.memory());
        UsageSample now = new UsageSample(5010, Map.of("vmsup", 110_000L, "qemu_vcpus", 0L, "qemu_other", 0L,
                "virtiofsd", 0L, "kernel_threads", 0L), b.tasks(), b.memory());
        OverheadReport r = OverheadReport.of(List.of(a, b, now), SANDBOX, 0);
        assertThat(r.cpuMillicores().get("vmsup").max()).as("not 1000m from one tick in 10 ms").isEqualTo(20);
        assertThat(r.memoryBytes().get("vmsup").current()).isEqualTo(30 * MIB);
    }

    @Test
    void p95IsTheNearestRankAndOneSampleGivesNoRate() {
        List<Long> values = new ArrayList<>();
        for (long i = 1; i <= 100; i++) {
            values.add(i);
        }
        assertThat(Figure.of(values)).isEqualTo(new Figure(100, 100, 95));
        assertThat(Figure.of(List.of())).isEqualTo(Figure.NONE);
        OverheadReport one = OverheadReport.of(List.of(sample(0, 0, 30, 0)), SANDBOX, 0);
        assertThat(one.cpuMillicores().get("total")).isEqualTo(Figure.NONE);
        assertThat(one.recommendedCpuMillicores()).as("never 0: a RuntimeClass of 0m says nothing").isEqualTo(1);
    }

    @Test
    void containerLimitsAboveTheGuestLeaveNoBaseAndBadInputIsRefused() {
        Subjects big = new Subjects(1, 2, -1, List.of(), List.of(), 256 * MIB, 512 * MIB);
        assertThat(OverheadReport.of(List.of(sample(0, 0, 30, 0)), big, 0).guestBaseBytes()).isZero();
        assertThatThrownBy(() -> OverheadReport.of(List.of(), SANDBOX, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OverheadReport.of(List.of(sample(0, 0, 30, 0)), SANDBOX, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
