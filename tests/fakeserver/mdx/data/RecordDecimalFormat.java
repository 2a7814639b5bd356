// Records what java.text.DecimalFormat writes, as test data for fakeserver.mdx.formatting.
//
// Opt-in, needs a JDK (the default tests only read the recorded file):
//   python tests/fakeserver/mdx/data/record_decimal_format.py
//
// Reads "kind<TAB>value<TAB>pattern" lines (kind: double or long) and prints each with the
// formatted text appended, with US symbols as a server in an English locale writes them;
// an empty pattern records Double.toString, the name of a double member, and a pattern
// DecimalFormat refuses is recorded as "!refused".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;

public class RecordDecimalFormat {
    public static void main(String[] args) throws Exception {
        DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.US);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] f = line.split("\t", -1);
            String text;
            if (f[2].isEmpty()) {  // no pattern: the member name, Double.toString
                text = Double.toString(Double.parseDouble(f[1]));
            } else {
                try {
                    DecimalFormat format = new DecimalFormat(f[2], symbols);
                    text = f[0].equals("long")
                        ? format.format(Long.parseLong(f[1]))
                        : format.format(Double.parseDouble(f[1]));
                } catch (IllegalArgumentException refused) {
                    text = "!refused";  // a pattern Java does not accept
                }
            }
            out.append(line).append('\t').append(text).append('\n');
        }
        System.out.write(out.toString().getBytes(StandardCharsets.UTF_8));
        System.out.flush();
    }
}
