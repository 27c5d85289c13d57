package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /openapi.json}: the REST API as an OpenAPI document, from the contracts. */
class OpenApiTest {
  @RegisterExtension static final MeshExtension MESH = new MeshExtension();

  private static JsonObject doc;

  @BeforeAll
  static void fetch() {
    Rest.Reply r = new Rest(MESH.mesh().restBaseUrl()).get("/openapi.json");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.contentType()).isEqualTo("application/json");
    doc = r.json();
  }

  private static JsonObject operation(String path, String method) {
    JsonObject item = doc.getAsJsonObject("paths").getAsJsonObject(path);
    assertThat(item).as(path).isNotNull();
    JsonObject op = item.getAsJsonObject(method);
    assertThat(op).as(method + " " + path).isNotNull();
    return op;
  }

  private static Map<String, JsonObject> parameters(JsonObject op) {
    Map<String, JsonObject> byName = new HashMap<>();
    JsonArray params = op.getAsJsonArray("parameters");
    if (params != null) {
      for (JsonElement p : params) {
        byName.put(p.getAsJsonObject().get("in").getAsString() + ":" + p.getAsJsonObject().get("name").getAsString(), p.getAsJsonObject());
      }
    }
    return byName;
  }

  private static JsonObject schema(String name) {
    return doc.getAsJsonObject("components").getAsJsonObject("schemas").getAsJsonObject(name);
  }

  private static JsonObject property(String schema, String property) {
    JsonObject p = schema(schema).getAsJsonObject("properties").getAsJsonObject(property);
    assertThat(p).as(schema + "." + property).isNotNull();
    return p.has("allOf") ? p.getAsJsonArray("allOf").get(0).getAsJsonObject() : p;
  }

  @Test
  void everyPublicMethodIsAnOperationAndNoInternalOneIs() {
    List<String> operations = new ArrayList<>();
    for (var path : doc.getAsJsonObject("paths").entrySet()) {
      for (var op : path.getValue().getAsJsonObject().entrySet()) {
        operations.add(op.getKey().toUpperCase() + " " + path.getKey() + " " + op.getValue().getAsJsonObject().get("operationId").getAsString());
      }
    }

    assertThat(operations)
        .containsExactlyInAnyOrder(
            "POST /v1/users UserService_CreateUser",
            "GET /v1/users/{user_id} UserService_GetUser",
            "GET /v1/users UserService_ListUsers",
            "POST /v1/sessions SessionService_CreateSession",
            "POST /v1/sessions:refresh SessionService_RefreshSession",
            "POST /v1/sessions:revoke SessionService_RevokeSession",
            "POST /v1/orders OrderService_CreateOrder",
            "GET /v1/orders/{order_id} OrderService_GetOrder",
            "GET /v1/orders OrderService_ListOrders",
            "POST /v1/orders/{order_id}:cancel OrderService_CancelOrder",
            "GET /v1/payments/{payment_id} PaymentService_GetPayment",
            "GET /v1/payments PaymentService_ListPayments");
    assertThat(doc.getAsJsonObject("components").getAsJsonObject("schemas").keySet())
        .noneMatch(name -> name.contains("Charge") || name.contains("Refund"));
  }

  @Test
  void pathVariablesAreRequiredPathParameters() {
    JsonObject id = parameters(operation("/v1/users/{user_id}", "get")).get("path:user_id");

    assertThat(id.get("required").getAsBoolean()).isTrue();
    assertThat(id.getAsJsonObject("schema").get("type").getAsString()).isEqualTo("string");
  }

  @Test
  void unboundFieldsAreQueryParametersByJsonName() {
    assertThat(parameters(operation("/v1/users", "get")).keySet()).containsExactlyInAnyOrder("query:pageSize", "query:pageToken");
    assertThat(parameters(operation("/v1/orders", "get")).keySet())
        .containsExactlyInAnyOrder("query:userId", "query:pageSize", "query:pageToken");
    assertThat(parameters(operation("/v1/users", "post")).keySet()).containsExactly("query:requestId");
    assertThat(parameters(operation("/v1/orders/{order_id}:cancel", "post")).keySet()).containsExactly("path:order_id");
  }

  @Test
  void theBodyFieldIsTheRequestBody() {
    JsonObject body = operation("/v1/users", "post").getAsJsonObject("requestBody");

    assertThat(body.getAsJsonObject("content").getAsJsonObject("application/json").getAsJsonObject("schema").get("$ref").getAsString())
        .isEqualTo("#/components/schemas/shopmesh.user.v1.User");
  }

  @Test
  void responsesAreTheOutputMessageAndErrorsAreStatus() {
    JsonObject responses = operation("/v1/orders/{order_id}", "get").getAsJsonObject("responses");

    assertThat(ref(responses.getAsJsonObject("200"))).isEqualTo("#/components/schemas/shopmesh.order.v1.Order");
    assertThat(ref(responses.getAsJsonObject("default"))).isEqualTo("#/components/schemas/google.rpc.Status");
    assertThat(ref(responses.getAsJsonObject("400"))).isEqualTo("#/components/schemas/google.rpc.Status");
    assertThat(schema("google.rpc.Status").getAsJsonObject("properties").keySet()).containsExactly("code", "message", "details");
  }

  private static String ref(JsonObject response) {
    return response.getAsJsonObject("content").getAsJsonObject("application/json").getAsJsonObject("schema").get("$ref").getAsString();
  }

  @Test
  void schemasFollowTheProto3JsonMapping() {
    assertThat(property("shopmesh.order.v1.Order", "totalMinor").get("type").getAsString()).isEqualTo("string");
    assertThat(property("shopmesh.order.v1.Order", "totalMinor").get("format").getAsString()).isEqualTo("int64");
    assertThat(property("shopmesh.order.v1.LineItem", "unitPriceMinor").get("type").getAsString()).isEqualTo("string");
    assertThat(property("shopmesh.order.v1.LineItem", "quantity").get("type").getAsString()).isEqualTo("integer");
    JsonObject state = property("shopmesh.order.v1.Order", "state");
    assertThat(state.get("type").getAsString()).isEqualTo("string");
    assertThat(state.getAsJsonArray("enum").asList().stream().map(JsonElement::getAsString))
        .containsExactly("STATE_UNSPECIFIED", "PENDING_PAYMENT", "CONFIRMED", "PAYMENT_DECLINED", "CANCELLED");
    assertThat(property("shopmesh.user.v1.User", "createTime").get("format").getAsString()).isEqualTo("date-time");
    assertThat(schema("shopmesh.user.v1.User").getAsJsonArray("required").asList().stream().map(JsonElement::getAsString))
        .containsExactly("name", "email");
    assertThat(schema("shopmesh.user.v1.User").getAsJsonObject("properties").getAsJsonObject("userId").get("readOnly").getAsBoolean())
        .isTrue();
  }

  @Test
  void descriptionsComeFromTheProtoComments() {
    assertThat(operation("/v1/users", "post").get("description").getAsString()).startsWith("Creates a user.");
    assertThat(schema("shopmesh.payment.v1.Payment").get("description").getAsString()).isEqualTo("The one payment of an order.");
    assertThat(parameters(operation("/v1/users", "get")).get("query:pageSize").get("description").getAsString())
        .startsWith("Maximum users to return.");
  }
}
