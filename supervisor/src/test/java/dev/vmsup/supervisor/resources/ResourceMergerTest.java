package dev.vmsup.supervisor.resources;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.vmsup.cgroupfs.CpuList;
import dev.vmsup.cgroupfs.CpuMax;

class ResourceMergerTest {
    private static ContainerResources cpu(long quota, long period) {
        return new ContainerResources(quota, period, null, null, null, null);
    }

    @Test
    void mixedPeriodsAreNormalizedToTheLargest() {
        MergedResources m = ResourceMerger.merge(List.of(cpu(50_000, 100_000), cpu(150_000, 200_000)));
        // 0.5 + 0.75 = 1.25 CPUs over 200000 us
        assertThat(m.cpuMax()).isEqualTo(new CpuMax(250_000, 200_000));
        assertThat(m.cpus()).isEqualByComparingTo(new BigDecimal("1.25"));
    }

    @Test
    void fractionsRoundUpToAWholeMicrosecond() {
        MergedResources m = ResourceMerger.merge(List.of(cpu(10_000, 30_000), cpu(10_000, 70_000)));
        // 1/3 + 1/7 = 10/21 of 70000 us = 33333.33 -> 33334
        assertThat(m.cpuMax()).isEqualTo(new CpuMax(33_334, 70_000));
    }

    @Test
    void noQuotaMeansUnlimited() {
        assertThat(ResourceMerger.merge(List.of()).cpuMax()).isEqualTo(CpuMax.unlimited());
        MergedResources m = ResourceMerger.merge(List.of(cpu(-1, 100_000),
                new ContainerResources(null, null, 1024L, null, null, null)));
        assertThat(m.cpuMax().isUnlimited()).isTrue();
        assertThat(m.cpus()).isEqualByComparingTo(BigDecimal.ZERO);
    }

    @Test
    void containersWithoutQuotaDoNotDiluteThoseWithOne() {
        MergedResources m = ResourceMerger.merge(List.of(cpu(200_000, 100_000), cpu(-1, 1_000_000)));
        assertThat(m.cpuMax()).isEqualTo(new CpuMax(200_000, 100_000));
    }

    @Test
    void tinyQuotasAreRaisedToTheKernelMinimum() {
        MergedResources m = ResourceMerger.merge(List.of(cpu(1_000, 1_000_000)));
        assertThat(m.cpuMax()).isEqualTo(new CpuMax(1_000, 1_000_000));
    }

    @Test
    void cpusetsAreUnitedWithOverlaps() {
        MergedResources m = ResourceMerger.merge(List.of(
                new ContainerResources(null, null, null, CpuList.parse("0-2"), CpuList.parse("0"), null),
                new ContainerResources(null, null, null, CpuList.parse("2-3,8"), CpuList.parse("0-1"), null),
                ContainerResources.NONE));
        assertThat(m.cpuset().toString()).isEqualTo("0-3,8");
        assertThat(m.memset().toString()).isEqualTo("0-1");
        assertThat(ResourceMerger.merge(List.of(ContainerResources.NONE)).cpuset().isEmpty()).as("inherit").isTrue();
    }

    @Test
    void memoryIsSummedAndUnlimitedWinsAsDoesNoContainer() {
        ContainerResources a = new ContainerResources(null, null, null, null, null, 256L << 20);
        ContainerResources b = new ContainerResources(null, null, null, null, null, 512L << 20);
        ContainerResources unlimited = new ContainerResources(null, null, null, null, null, -1L);
        assertThat(ResourceMerger.merge(List.of(a, b)).memoryLimit()).isEqualTo(768L << 20);
        assertThat(ResourceMerger.merge(List.of(a, b)).sandboxMemoryLimit(100L << 20)).isEqualTo(868L << 20);
        assertThat(ResourceMerger.merge(List.of(a, unlimited)).memoryLimit()).isEqualTo(-1);
        assertThat(ResourceMerger.merge(List.of(a, ContainerResources.NONE)).memoryLimit()).isEqualTo(-1);
        assertThat(ResourceMerger.merge(List.of()).sandboxMemoryLimit(100L << 20)).isEqualTo(-1);
        ContainerResources huge = new ContainerResources(null, null, null, null, null, Long.MAX_VALUE - 1);
        assertThat(ResourceMerger.merge(List.of(huge, huge)).memoryLimit()).as("saturates").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void sharesAreSummedAndCapped() {
        ContainerResources s1 = new ContainerResources(null, null, 1024L, null, null, null);
        ContainerResources s2 = new ContainerResources(null, null, 512L, null, null, null);
        assertThat(ResourceMerger.merge(List.of(s1, s2, ContainerResources.NONE)).cpuShares()).isEqualTo(1536L);
        assertThat(ResourceMerger.merge(List.of(ContainerResources.NONE)).cpuShares()).isNull();
        ContainerResources big = new ContainerResources(null, null, 200_000L, null, null, null);
        assertThat(ResourceMerger.merge(List.of(big, big)).cpuShares()).isEqualTo(262_144L);
    }

    @Test
    void autoVcpusAddsTheQuotaCpusRoundedUpAndCaps() {
        MergedResources m = ResourceMerger.merge(List.of(cpu(50_000, 100_000), cpu(150_000, 200_000)));
        assertThat(m.autoVcpus(1, 8)).isEqualTo(3);
        assertThat(m.autoVcpus(1, 2)).isEqualTo(2);
        assertThat(ResourceMerger.merge(List.of()).autoVcpus(1, 8)).isEqualTo(1);
    }
}
