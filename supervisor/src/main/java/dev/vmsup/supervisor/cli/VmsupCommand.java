package dev.vmsup.supervisor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import dev.vmsup.supervisor.ctl.CtlCommand;
import dev.vmsup.supervisor.ctl.OverheadCommand;

/** {@code vmsup}: the top-level command. */
@Command(name = "vmsup", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "A VMM supervisor: runs QEMU in the sandbox's host cgroups and places every vCPU thread.",
        subcommands = {RunCommand.class, CtlCommand.class, OverheadCommand.class, CheckCommand.class,
                CleanupCommand.class})
public final class VmsupCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * The whole command tree, with vmsup's last word on an exception. Not on {@link Main}: the launcher resolves the
     * signatures of Main's public methods, which would load picocli's largest class for every start.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new VmsupCommand());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("vmsup: " + e.getMessage());
            return Main.exitCodeOf(e);
        });
        return cl;
    }

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (try --help)");
    }
}
