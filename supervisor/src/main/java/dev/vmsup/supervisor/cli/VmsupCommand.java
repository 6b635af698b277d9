package dev.vmsup.supervisor.cli;

import picocli.CommandLine.Command;
import dev.vmsup.supervisor.ctl.CtlCommand;
import dev.vmsup.supervisor.ctl.OverheadCommand;

/** {@code vmsup}: the top-level command. */
@Command(name = "vmsup", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "A VMM supervisor: runs QEMU in the sandbox's host cgroups and places every vCPU thread.",
        subcommands = {RunCommand.class, CtlCommand.class, OverheadCommand.class, CheckCommand.class,
                CleanupCommand.class})
final class VmsupCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (try --help)");
    }
}
