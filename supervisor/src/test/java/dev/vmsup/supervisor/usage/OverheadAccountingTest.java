package dev.vmsup.supervisor.usage;

import java.nio.file.Path;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/** {@link OverheadAccountingChecks} on this host's cgroup v1 hierarchies, every controller. */
class OverheadAccountingTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v1(SandboxFixture.ALL_V1).withQemu();
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "sandbox_cgroup_only={0}")
    @ValueSource(booleans = {false, true})
    void bornWhereItBelongsStatsAddUpAndTheAdvisorMatchesProc(boolean sandboxCgroupOnly, SandboxFixture f)
            throws Exception {
        new OverheadAccountingChecks(f, tmp).run(sandboxCgroupOnly);
    }
}
