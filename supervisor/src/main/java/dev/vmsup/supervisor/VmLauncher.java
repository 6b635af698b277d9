package dev.vmsup.supervisor;

import java.io.File;
import java.io.IOException;
import java.util.List;

/**
 * Starts the VM process from its argv. The supervisor places itself first, so whatever this starts is born in
 * the VM's cgroup. The default runs the argv as a process (never through a shell); tests substitute a stand-in.
 */
@FunctionalInterface
public interface VmLauncher {
    Process start(List<String> argv, SupervisorConfig config) throws IOException;

    /** QEMU as a child process: stderr shared with vmsup; stdin/stdout the terminal only with {@code --serial stdio}. */
    VmLauncher PROCESS = (argv, config) -> {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
        if (config.serial().equals("stdio")) {
            pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        return pb.start();
    };
}
