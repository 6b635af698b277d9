package dev.vmsup.supervisor.vm;

import java.io.File;
import java.io.IOException;
import java.util.List;
import dev.vmsup.supervisor.config.SupervisorConfig;





/**
 * Starts the VM process from its argv (which may begin with {@link #bornIn}'s prefix: the VM's process then moves
 * itself into its cgroup before QEMU runs). The default runs the argv as a process (never through a shell); tests substitute a stand-in.
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

    /**
     * The argv prefixed so that the child moves itself into the cgroup whose {@code cgroup.procs} files are given
     * (writing 0, "this process", to each) before it execs the command: everything it ever allocates is charged
     * there, and the supervisor never has to step into that cgroup itself. The files are arguments of a fixed
     * script, never part of it. No files: the argv as is.
     */
    static List<String> bornIn(List<java.nio.file.Path> procsFiles, List<String> argv) {
        if (procsFiles.isEmpty()) {
            return argv;
        }
        List<String> wrapped = new java.util.ArrayList<>(List.of("/bin/sh", "-c",
                "while [ \"$1\" != -- ]; do echo 0 > \"$1\" || exit 126; shift; done; shift; exec \"$@\"",
                "vmsup-born-in"));
        procsFiles.forEach(f -> wrapped.add(f.toString()));
        wrapped.add("--");
        wrapped.addAll(argv);
        return wrapped;
    }

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
