package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.DynamicMessage;
import java.util.List;
import java.util.Optional;

/**
 * Coverage-guided fuzzing of what a REST client controls: the method, the path, the query and
 * the body, through the same route table and transcoder the edge runs. The property: the only
 * failure is the edge's own 4xx {@link EdgeError}, never another exception (which the edge would
 * answer 500), and what it produces is a well-formed request message of the method's type.
 *
 * <p>{@code ./mesh test} runs the committed corpora in {@code RestRequestFuzzTestInputs/} as
 * regression tests; {@code ./mesh fuzz} runs the fuzzer (JAZZER_FUZZ=1) for a set time.
 */
class RestRequestFuzzTest {
  private static final Contracts CONTRACTS = Contracts.load(Optional.empty());
  private static final RouteTable ROUTES = new RouteTable(CONTRACTS.publicMethods());
  private static final RequestTranscoder TRANSCODER = new RequestTranscoder(CONTRACTS.typeRegistry());
  private static final List<String> METHODS = List.of("GET", "POST", "PATCH", "PUT", "DELETE");

  @FuzzTest
  void aRestRequestIsTranscodedOrRefusedWithA4xx(FuzzedDataProvider data) throws Exception {
    String method = data.pickValue(METHODS);
    String path = "/" + data.consumeString(200);
    String query = data.consumeString(200);
    byte[] body = data.consumeRemainingAsBytes();
    try {
      if (ROUTES.lookup(method, path) instanceof RouteTable.Found found) {
        byte[] message = TRANSCODER.transcode(found.route(), found.bindings(), query, body);
        DynamicMessage.parseFrom(found.route().descriptor().getInputType(), message); // well-formed
      }
    } catch (EdgeError e) {
      assertThat(e.httpStatus()).as(e.getMessage()).isBetween(400, 499);
    }
  }

  @FuzzTest
  void aPathTemplateParsesOrIsRefusedAndMatchesAnyPath(FuzzedDataProvider data) {
    String template = data.consumeString(100);
    String path = data.consumeRemainingAsString();
    PathTemplate parsed;
    try {
      parsed = PathTemplate.parse(template);
    } catch (IllegalArgumentException refused) {
      return;
    }
    List<String> parts = List.of(path.split("/", -1));
    parsed.match(parts); // a match or none, never an exception
  }
}
