package dev.vmsup.supervisor.usage;

import java.nio.file.Path;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/** {@link OverheadAccountingChecks} on a real cgroup v2 kernel (the guest of {@code scripts/test-v2-guest}). */
@Tag("v2-kernel")
class OverheadAccountingV2KernelTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v2().withQemu();
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void bornWhereItBelongsStatsAddUpAndTheAdvisorMatchesProc(boolean sandboxCgroupOnly, SandboxFixture f)
            throws Exception {
        new OverheadAccountingChecks(f, tmp).run(sandboxCgroupOnly);
    }
}
