// One JVM for many calls to the DCC's signing tool (@smartdcc/duis-sign-wrap's tool.jar). The tool's
// Sign and Validate classes do their work in main_aux(args), the method their main() runs before
// System.exit; it reads System.in and writes System.out/err when called, so each call here gets its own
// streams. Start-up (~1 s a JVM) is paid once per test file instead of once per signature.
//
// Protocol on stdin/stdout, one call at a time: request = UTF mode ("sign" | "validate"), boolean
// preserveCounter, int length, document bytes; answer = int exit code (the tool's), int length + stdout
// bytes, int length + stderr bytes. EOF on stdin ends the process.
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import uk.co.smartdcc.boxed.xmldsig.ResultCode;
import uk.co.smartdcc.boxed.xmldsig.Sign;
import uk.co.smartdcc.boxed.xmldsig.Validate;

public final class DuisToolServer {
  private static volatile ByteArrayOutputStream callErr = new ByteArrayOutputStream();

  public static void main(String[] argv) throws Exception {
    // Some of the tool's failures end the JVM (System.exit): their complaint goes to the real stderr,
    // as the wrapper would have reported it.
    FileOutputStream realErr = new FileOutputStream(FileDescriptor.err);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        callErr.writeTo(realErr);
        realErr.flush();
      } catch (Exception ignored) {
        // nothing left to tell it to
      }
    }));
    DataInputStream in = new DataInputStream(new BufferedInputStream(System.in));
    // The answers go to the real stdout; System.out is the tool's, replaced for every call.
    DataOutputStream answers = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)));
    while (true) {
      String mode;
      try {
        mode = in.readUTF();
      } catch (EOFException end) {
        return;
      }
      boolean preserveCounter = in.readBoolean();
      byte[] document = new byte[in.readInt()];
      in.readFully(document);

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      callErr = err;
      System.setIn(new ByteArrayInputStream(document));
      System.setOut(new PrintStream(out, true, "UTF-8"));
      System.setErr(new PrintStream(err, true, "UTF-8"));
      int code;
      try {
        // The same arguments as duis-sign-wrap's command line: "-" is stdin.
        String[] args = preserveCounter ? new String[] {"-", "--preserveCounter"} : new String[] {"-"};
        ResultCode r = mode.equals("sign") ? Sign.main_aux(args) : Validate.main_aux(args);
        code = r.value();
      } catch (Throwable t) {
        t.printStackTrace(System.err);
        code = ResultCode.GENERIC_ERROR.value();
      }
      System.out.flush();
      System.err.flush();
      answers.writeInt(code);
      answers.writeInt(out.size());
      out.writeTo(answers);
      answers.writeInt(err.size());
      err.writeTo(answers);
      answers.flush();
      callErr = new ByteArrayOutputStream();
    }
  }
}
