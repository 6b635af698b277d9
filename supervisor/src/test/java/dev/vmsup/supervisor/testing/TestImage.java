package dev.vmsup.supervisor.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.vmsup.cgroupfs.Prerequisites;

/**
 * The bundled test guest (Debian's kernel and a busybox initramfs, built by {@code scripts/build-test-image}), and
 * a wait on what it prints on its serial console.
 */
public record TestImage(Path kernel, Path initrd) {

    /** Builds the guest (cached) into the module's target dir; fails the test (skips outside CI) without the script. */
    public static TestImage build() throws IOException, InterruptedException {
        Path script = Path.of("../scripts/build-test-image").toAbsolutePath().normalize();
        Prerequisites.require(Files.isExecutable(script), script.toString());
        Process build = new ProcessBuilder(script.toString(), Path.of("target/test-image").toAbsolutePath().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(build.exitValue()).as("build-test-image: " + out).isZero();
        Path kernel = null;
        Path initrd = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("kernel=")) {
                kernel = Path.of(line.substring(7));
            } else if (line.startsWith("initrd=")) {
                initrd = Path.of(line.substring(7));
            }
        }
        assertThat(kernel).isRegularFile();
        assertThat(initrd).isRegularFile();
        return new TestImage(kernel, initrd);
    }

    /** Waits until the serial log has {@code line}. */
    public static void awaitSerial(Path serial, String line, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (Files.exists(serial) && Files.readString(serial, StandardCharsets.ISO_8859_1).contains(line)) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("guest never printed '" + line + "'; serial log:\n"
                + (Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "(none)"));
    }
}
