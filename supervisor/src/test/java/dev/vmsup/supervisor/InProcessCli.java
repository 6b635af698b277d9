package dev.vmsup.supervisor;

import java.io.PrintWriter;
import java.io.StringWriter;

import picocli.CommandLine;

/** Runs one {@code vmsup} command line in this JVM and keeps its exit code, stdout and stderr. */
record InProcessCli(int code, String out, String err) {

    static InProcessCli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new InProcessCli(cl.execute(args), out.toString(), err.toString());
    }
}
