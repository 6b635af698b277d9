package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ResourcesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0-3,7 | 0-3,7",
            "7,0-3 | 0-3,7",
            "1,2,3 | 1-3",
            "0 | 0",
            "'' | ''",
            "0-1,1-2 | 0-2",
            "8191 | 8191",
    })
    void cpuListRoundTrips(String in, String canonical) {
        assertThat(CpuList.parse(in).toString()).isEqualTo(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-", "-1", "3-1", "1,,2", ",1", "1,", "99999", "8192", "a", "1 2", "0x1", "1-2-3"})
    void cpuListRejectsBadSyntax(String in) {
        assertThatThrownBy(() -> CpuList.parse(in)).isInstanceOf(InvalidResourceException.class);
    }

    @Test
    void cpuListUnion() {
        assertThat(CpuList.parse("0-1").union(CpuList.parse("1-3,8")).toString()).isEqualTo("0-3,8");
        assertThat(CpuList.parse("1").isSubsetOf(CpuList.parse("0-1"))).isTrue();
        assertThat(CpuList.parse("2").isSubsetOf(CpuList.parse("0-1"))).isFalse();
    }

    @Test
    void cpuMaxBounds() {
        assertThat(new CpuMax(50_000, 100_000).toV2()).isEqualTo("50000 100000");
        assertThat(CpuMax.unlimited().toV2()).isEqualTo("max 100000");
        assertThat(CpuMax.parseV2("max 100000")).isEqualTo(CpuMax.unlimited());
        assertThat(new CpuMax(1_000, 1_000)).isNotNull();
        assertThat(new CpuMax(10_000_000, 1_000_000)).isNotNull();
        assertThatThrownBy(() -> new CpuMax(50_000, 999)).hasMessageContaining("cpu.period");
        assertThatThrownBy(() -> new CpuMax(50_000, 1_000_001)).hasMessageContaining("cpu.period");
        assertThatThrownBy(() -> new CpuMax(999, 100_000)).hasMessageContaining("cpu.quota");
        assertThatThrownBy(() -> new CpuMax(-5, 100_000)).hasMessageContaining("cpu.quota");
        assertThatThrownBy(() -> CpuMax.parseV2("max")).isInstanceOf(InvalidResourceException.class);
    }

    @Test
    void resourcesValidateOnConstruction() {
        assertThatThrownBy(() -> Resources.builder().cpuShares(1).build()).hasMessageContaining("cpu.shares");
        assertThatThrownBy(() -> Resources.builder().cpuShares(262_145).build()).hasMessageContaining("cpu.shares");
        assertThatThrownBy(() -> Resources.builder().memoryMaxBytes(0).build()).hasMessageContaining("memory");
        assertThatThrownBy(() -> Resources.builder().memoryMaxBytes(-2).build()).hasMessageContaining("memory");
        assertThatThrownBy(() -> Resources.builder().pidsMax(0).build()).hasMessageContaining("pids");
        assertThat(Resources.builder().memoryMaxBytes(-1).pidsMax(-1).cpuShares(2).build().cpuShares()).isEqualTo(2);
    }

    /** The vectors of the linear conversion runc and containerd used before 2025: what changed. */
    @ParameterizedTest
    @CsvSource({"2, 1", "1024, 39", "262144, 10000", "100, 4"})
    void theOldLinearConversion(long shares, long weight) {
        assertThat(Resources.sharesToWeightLinear(shares)).isEqualTo(weight);
    }

    /** runc 1.3.2+ / opencontainers/cgroups ConvertCPUSharesToCgroupV2Value: 1024 shares is weight 100. */
    @ParameterizedTest
    @CsvSource({"2, 1", "3, 2", "100, 17", "512, 59", "1024, 100", "2048, 174", "10000, 627", "262143, 10000",
            "262144, 10000"})
    void sharesToWeightFollowsRuncsQuadraticFit(long shares, long weight) {
        assertThat(Resources.sharesToWeight(shares)).isEqualTo(weight);
    }

    @Test
    void errnoNamesAndCodes() {
        assertThat(Errno.of(16)).isEqualTo(Errno.EBUSY);
        assertThat(Errno.of(95)).isEqualTo(Errno.EOPNOTSUPP);
        assertThat(Errno.of(12345)).isEqualTo(Errno.UNKNOWN);
        CgroupException e = new CgroupException("write", java.nio.file.Path.of("/x/tasks"), "42", Errno.ESRCH, null);
        assertThat(e).hasMessage("write '42' to /x/tasks failed: ESRCH (no such process or thread)");
    }
}
