package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.user.v1.CreateUserRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Coverage-guided fuzzing of user-svc's CreateUser validation: request bytes parsed and checked
 * exactly as {@link UserApi#createUser} does before the store. The property: a malformed message
 * fails to parse with {@link InvalidProtocolBufferException}, and a parsed one passes (with a
 * name and an email within their limits) or is refused with INVALID_ARGUMENT, never anything
 * else.
 */
class UserRequestFuzzTest {
  @FuzzTest
  void aCreateUserRequestIsValidOrInvalidArgument(byte[] bytes) {
    CreateUserRequest request;
    try {
      request = CreateUserRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException malformed) {
      return;
    }
    var violations = new FieldViolations();
    violations.check(request.hasUser(), "user", "is required");
    NewUser user = NewUser.validate(request.getUser(), "user.", violations);
    Ids.requestId(request.getRequestId(), violations);
    try {
      violations.throwIfAny(UserApi.ERRORS);
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      return;
    }
    assertThat(user).isNotNull();
    assertThat(user.email()).isNotBlank().contains("@").hasSizeLessThanOrEqualTo(NewUser.MAX_EMAIL);
    assertThat(user.name()).isNotBlank();
  }
}
