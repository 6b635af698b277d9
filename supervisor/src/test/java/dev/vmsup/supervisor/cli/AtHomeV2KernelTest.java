package dev.vmsup.supervisor.cli;

import java.nio.file.Path;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.supervisor.testing.SandboxExtension;
import dev.vmsup.supervisor.testing.SandboxFixture;

/** {@link AtHomeChecks} on a real cgroup v2 kernel (the guest of {@code scripts/test-v2-guest}). */
@Tag("v2-kernel")
class AtHomeV2KernelTest {
    @RegisterExtension
    static final SandboxExtension SANDBOXES = SandboxExtension.v2().withQemu();
    @TempDir
    Path tmp;

    @Test
    void aRuntimeThatSpawnsItInItsOverheadCgroupSavesTheReexecutionAndKeepsThatCgroup(SandboxFixture f)
            throws Exception {
        AtHomeChecks.run(f, tmp);
    }
}
