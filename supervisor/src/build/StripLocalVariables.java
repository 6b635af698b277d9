import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.TypePath;

/**
 * Build step (run by {@code mvn package} in source-file mode, with ASM from the class path): rewrites a jar with
 * every class's local-variable tables removed ({@code LocalVariableTable}, {@code LocalVariableTypeTable} and their
 * type annotations), which only a debugger reads. Line numbers and source file names stay, so stack traces are
 * unchanged. Each supervisor maps the class-data archive's read-only region whole; without these tables it is ~1.1 MB
 * smaller (docs/performance.md). A class ASM cannot read is kept as it was.
 *
 * <p>Usage: {@code java -cp <asm> StripLocalVariables.java <jar>} (the jar is replaced atomically).
 */
public final class StripLocalVariables {
    private StripLocalVariables() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: StripLocalVariables <jar>");
        }
        Path jar = Path.of(args[0]);
        Path out = jar.resolveSibling(jar.getFileName() + ".stripping");
        long before = 0;
        long after = 0;
        int classes = 0;
        int kept = 0;
        try (ZipFile in = new ZipFile(jar.toFile()); OutputStream file = Files.newOutputStream(out);
                ZipOutputStream zip = new ZipOutputStream(file)) {
            Enumeration<? extends ZipEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                byte[] bytes;
                try (InputStream s = in.getInputStream(entry)) {
                    bytes = s.readAllBytes();
                }
                if (entry.getName().endsWith(".class")) {
                    classes++;
                    before += bytes.length;
                    byte[] stripped = strip(bytes);
                    if (stripped == bytes) {
                        kept++;
                    }
                    bytes = stripped;
                    after += bytes.length;
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                zip.putNextEntry(copy);
                zip.write(bytes);
                zip.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        }
        Files.move(out, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.printf("%s: %d classes, %d -> %d bytes (%d kept as they were)%n", jar.getFileName(), classes,
                before, after, kept);
    }

    /** The class without local-variable tables, or {@code bytes} itself if ASM cannot read it. */
    static byte[] strip(byte[] bytes) {
        try {
            ClassReader reader = new ClassReader(bytes);
            // no reader given: the constant pool is rebuilt, so the tables' names and signatures leave it too
            ClassWriter writer = new ClassWriter(0);
            reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                        String[] exceptions) {
                    return new MethodVisitor(Opcodes.ASM9, super.visitMethod(access, name, descriptor, signature,
                            exceptions)) {
                        @Override
                        public void visitLocalVariable(String n, String d, String s, Label from, Label to, int slot) {
                            // dropped
                        }

                        @Override
                        public AnnotationVisitor visitLocalVariableAnnotation(int typeRef, TypePath typePath,
                                Label[] from, Label[] to, int[] slots, String d, boolean visible) {
                            return null;
                        }
                    };
                }
            }, 0);
            return writer.toByteArray();
        } catch (RuntimeException unreadable) {
            return bytes;
        }
    }
}
