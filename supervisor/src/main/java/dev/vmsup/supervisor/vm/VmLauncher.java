package dev.vmsup.supervisor.vm;

import java.io.File;
import java.io.IOException;
import java.util.List;
import dev.vmsup.supervisor.config.SupervisorConfig;





/**
 * Starts the VM process from its argv. The supervisor places itself first, so whatever this starts is born in
 * the VM's cgroup. The default runs the argv as a process (never through a shell); tests substitute a stand-in.
 */
@FunctionalInterface
public interface VmLauncher {
    Process start(List<String> argv, SupervisorConfig config) throws IOException;

    /**
     * QEMU as a child process, tied to vmsup's life (see {@link #tiedToSupervisor}): stderr shared with vmsup;
     * stdin/stdout the terminal only with {@code --serial stdio}.
     */
    VmLauncher PROCESS = (argv, config) -> {
        ProcessBuilder pb = new ProcessBuilder(tiedToSupervisor(argv)).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
        if (config.serial().equals("stdio")) {
            pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        return pb.start();
    };

    /** util-linux's setpriv sets PR_SET_PDEATHSIG, then execs the command in place (same pid). */
    java.nio.file.Path SETPRIV = java.nio.file.Path.of("/usr/bin/setpriv");

    /**
     * The argv prefixed so that the kernel SIGKILLs the child the moment vmsup dies (PR_SET_PDEATHSIG, via
     * {@code setpriv --pdeathsig KILL}): QEMU and virtiofsd never run unsupervised. The command is exec'd in place,
     * so the pid stays the child's. Without setpriv, the argv is returned as is.
     */
    static List<String> tiedToSupervisor(List<String> argv) {
        if (!java.nio.file.Files.isExecutable(SETPRIV)) {
            return argv;
        }
        List<String> wrapped = new java.util.ArrayList<>(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        wrapped.addAll(argv);
        return wrapped;
    }
}
