package dev.vmsup.supervisor.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.vmsup.supervisor.testing.SandboxFixture;





/** A short soak in every test run ({@code scripts/soak --cycles 1000} is the long one). */
class SoakTest {
    @TempDir
    Path tmp;

    @Test
    void resizesBackAndForthWithoutLeaks() throws Exception {
        SandboxFixture.requireQemu();
        Soak.Result r = Soak.run(Integer.getInteger("vmsup.soak.cycles", 5), tmp);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.checks()).isEqualTo(3 * r.cycles());
    }

    @Test
    void mixedConcurrentLoadIsAnsweredConsistentlyWithoutLeaks() throws Exception {
        SandboxFixture.requireQemu();
        MixedSoak.Result r = MixedSoak.run(Integer.getInteger("vmsup.soak.mixed", 200), 8, 42, tmp);
        assertThat(r.ok()).as(r.toString()).isTrue();
    }
}
