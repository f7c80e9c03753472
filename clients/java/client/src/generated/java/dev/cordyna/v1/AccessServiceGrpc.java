package dev.cordyna.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * AccessService manages who may call cerebro, and shows what they did.
 * Every call to cerebro carries a credential: a bearer token in the
 * `authorization: Bearer &lt;token&gt;` header, or a client certificate (mTLS)
 * whose common name a credential names. Cerebro maps it to a principal (a
 * team and a role) and checks each call against it; see the README's
 * "Security" section for who may do what. Refusals are UNAUTHENTICATED (no
 * or a bad credential) or PERMISSION_DENIED (the principal lacks the
 * right), naming the principal and what it lacked.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class AccessServiceGrpc {

  private AccessServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "cordyna.v1.AccessService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.CreateTokenRequest,
      dev.cordyna.v1.CreateTokenResponse> getCreateTokenMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateToken",
      requestType = dev.cordyna.v1.CreateTokenRequest.class,
      responseType = dev.cordyna.v1.CreateTokenResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.CreateTokenRequest,
      dev.cordyna.v1.CreateTokenResponse> getCreateTokenMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.CreateTokenRequest, dev.cordyna.v1.CreateTokenResponse> getCreateTokenMethod;
    if ((getCreateTokenMethod = AccessServiceGrpc.getCreateTokenMethod) == null) {
      synchronized (AccessServiceGrpc.class) {
        if ((getCreateTokenMethod = AccessServiceGrpc.getCreateTokenMethod) == null) {
          AccessServiceGrpc.getCreateTokenMethod = getCreateTokenMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.CreateTokenRequest, dev.cordyna.v1.CreateTokenResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateToken"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.CreateTokenRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.CreateTokenResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AccessServiceMethodDescriptorSupplier("CreateToken"))
              .build();
        }
      }
    }
    return getCreateTokenMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ListTokensRequest,
      dev.cordyna.v1.ListTokensResponse> getListTokensMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTokens",
      requestType = dev.cordyna.v1.ListTokensRequest.class,
      responseType = dev.cordyna.v1.ListTokensResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ListTokensRequest,
      dev.cordyna.v1.ListTokensResponse> getListTokensMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ListTokensRequest, dev.cordyna.v1.ListTokensResponse> getListTokensMethod;
    if ((getListTokensMethod = AccessServiceGrpc.getListTokensMethod) == null) {
      synchronized (AccessServiceGrpc.class) {
        if ((getListTokensMethod = AccessServiceGrpc.getListTokensMethod) == null) {
          AccessServiceGrpc.getListTokensMethod = getListTokensMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ListTokensRequest, dev.cordyna.v1.ListTokensResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTokens"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTokensRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTokensResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AccessServiceMethodDescriptorSupplier("ListTokens"))
              .build();
        }
      }
    }
    return getListTokensMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.RevokeTokenRequest,
      dev.cordyna.v1.RevokeTokenResponse> getRevokeTokenMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RevokeToken",
      requestType = dev.cordyna.v1.RevokeTokenRequest.class,
      responseType = dev.cordyna.v1.RevokeTokenResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.RevokeTokenRequest,
      dev.cordyna.v1.RevokeTokenResponse> getRevokeTokenMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.RevokeTokenRequest, dev.cordyna.v1.RevokeTokenResponse> getRevokeTokenMethod;
    if ((getRevokeTokenMethod = AccessServiceGrpc.getRevokeTokenMethod) == null) {
      synchronized (AccessServiceGrpc.class) {
        if ((getRevokeTokenMethod = AccessServiceGrpc.getRevokeTokenMethod) == null) {
          AccessServiceGrpc.getRevokeTokenMethod = getRevokeTokenMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.RevokeTokenRequest, dev.cordyna.v1.RevokeTokenResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RevokeToken"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.RevokeTokenRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.RevokeTokenResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AccessServiceMethodDescriptorSupplier("RevokeToken"))
              .build();
        }
      }
    }
    return getRevokeTokenMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ListAuditRequest,
      dev.cordyna.v1.ListAuditResponse> getListAuditMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAudit",
      requestType = dev.cordyna.v1.ListAuditRequest.class,
      responseType = dev.cordyna.v1.ListAuditResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ListAuditRequest,
      dev.cordyna.v1.ListAuditResponse> getListAuditMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ListAuditRequest, dev.cordyna.v1.ListAuditResponse> getListAuditMethod;
    if ((getListAuditMethod = AccessServiceGrpc.getListAuditMethod) == null) {
      synchronized (AccessServiceGrpc.class) {
        if ((getListAuditMethod = AccessServiceGrpc.getListAuditMethod) == null) {
          AccessServiceGrpc.getListAuditMethod = getListAuditMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ListAuditRequest, dev.cordyna.v1.ListAuditResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAudit"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListAuditRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListAuditResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AccessServiceMethodDescriptorSupplier("ListAudit"))
              .build();
        }
      }
    }
    return getListAuditMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.WhoAmIRequest,
      dev.cordyna.v1.WhoAmIResponse> getWhoAmIMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WhoAmI",
      requestType = dev.cordyna.v1.WhoAmIRequest.class,
      responseType = dev.cordyna.v1.WhoAmIResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.WhoAmIRequest,
      dev.cordyna.v1.WhoAmIResponse> getWhoAmIMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.WhoAmIRequest, dev.cordyna.v1.WhoAmIResponse> getWhoAmIMethod;
    if ((getWhoAmIMethod = AccessServiceGrpc.getWhoAmIMethod) == null) {
      synchronized (AccessServiceGrpc.class) {
        if ((getWhoAmIMethod = AccessServiceGrpc.getWhoAmIMethod) == null) {
          AccessServiceGrpc.getWhoAmIMethod = getWhoAmIMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.WhoAmIRequest, dev.cordyna.v1.WhoAmIResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WhoAmI"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.WhoAmIRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.WhoAmIResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AccessServiceMethodDescriptorSupplier("WhoAmI"))
              .build();
        }
      }
    }
    return getWhoAmIMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static AccessServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AccessServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AccessServiceStub>() {
        @java.lang.Override
        public AccessServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AccessServiceStub(channel, callOptions);
        }
      };
    return AccessServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static AccessServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AccessServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AccessServiceBlockingV2Stub>() {
        @java.lang.Override
        public AccessServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AccessServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return AccessServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static AccessServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AccessServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AccessServiceBlockingStub>() {
        @java.lang.Override
        public AccessServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AccessServiceBlockingStub(channel, callOptions);
        }
      };
    return AccessServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static AccessServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AccessServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AccessServiceFutureStub>() {
        @java.lang.Override
        public AccessServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AccessServiceFutureStub(channel, callOptions);
        }
      };
    return AccessServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * AccessService manages who may call cerebro, and shows what they did.
   * Every call to cerebro carries a credential: a bearer token in the
   * `authorization: Bearer &lt;token&gt;` header, or a client certificate (mTLS)
   * whose common name a credential names. Cerebro maps it to a principal (a
   * team and a role) and checks each call against it; see the README's
   * "Security" section for who may do what. Refusals are UNAUTHENTICATED (no
   * or a bad credential) or PERMISSION_DENIED (the principal lacks the
   * right), naming the principal and what it lacked.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * CreateToken creates a credential (admin only). The token's secret is in
     * the response and nowhere else: cerebro keeps only its hash.
     * </pre>
     */
    default void createToken(dev.cordyna.v1.CreateTokenRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.CreateTokenResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateTokenMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListTokens lists every credential, revoked and expired ones too, without
     * secrets (admin only).
     * </pre>
     */
    default void listTokens(dev.cordyna.v1.ListTokensRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTokensResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTokensMethod(), responseObserver);
    }

    /**
     * <pre>
     * RevokeToken revokes a credential at once: calls with it are refused and
     * the streams opened with it are ended (admin only). NOT_FOUND when no
     * credential has that id.
     * </pre>
     */
    default void revokeToken(dev.cordyna.v1.RevokeTokenRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.RevokeTokenResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRevokeTokenMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListAudit returns the audit trail, newest first: every mutating call and
     * every refusal. An admin reads every team's entries, others their own
     * team's.
     * </pre>
     */
    default void listAudit(dev.cordyna.v1.ListAuditRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListAuditResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAuditMethod(), responseObserver);
    }

    /**
     * <pre>
     * WhoAmI returns the principal cerebro took the caller for.
     * </pre>
     */
    default void whoAmI(dev.cordyna.v1.WhoAmIRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.WhoAmIResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWhoAmIMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service AccessService.
   * <pre>
   * AccessService manages who may call cerebro, and shows what they did.
   * Every call to cerebro carries a credential: a bearer token in the
   * `authorization: Bearer &lt;token&gt;` header, or a client certificate (mTLS)
   * whose common name a credential names. Cerebro maps it to a principal (a
   * team and a role) and checks each call against it; see the README's
   * "Security" section for who may do what. Refusals are UNAUTHENTICATED (no
   * or a bad credential) or PERMISSION_DENIED (the principal lacks the
   * right), naming the principal and what it lacked.
   * </pre>
   */
  public static abstract class AccessServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return AccessServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service AccessService.
   * <pre>
   * AccessService manages who may call cerebro, and shows what they did.
   * Every call to cerebro carries a credential: a bearer token in the
   * `authorization: Bearer &lt;token&gt;` header, or a client certificate (mTLS)
   * whose common name a credential names. Cerebro maps it to a principal (a
   * team and a role) and checks each call against it; see the README's
   * "Security" section for who may do what. Refusals are UNAUTHENTICATED (no
   * or a bad credential) or PERMISSION_DENIED (the principal lacks the
   * right), naming the principal and what it lacked.
   * </pre>
   */
  public static final class AccessServiceStub
      extends io.grpc.stub.AbstractAsyncStub<AccessServiceStub> {
    private AccessServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AccessServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AccessServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateToken creates a credential (admin only). The token's secret is in
     * the response and nowhere else: cerebro keeps only its hash.
     * </pre>
     */
    public void createToken(dev.cordyna.v1.CreateTokenRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.CreateTokenResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateTokenMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListTokens lists every credential, revoked and expired ones too, without
     * secrets (admin only).
     * </pre>
     */
    public void listTokens(dev.cordyna.v1.ListTokensRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTokensResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTokensMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * RevokeToken revokes a credential at once: calls with it are refused and
     * the streams opened with it are ended (admin only). NOT_FOUND when no
     * credential has that id.
     * </pre>
     */
    public void revokeToken(dev.cordyna.v1.RevokeTokenRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.RevokeTokenResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRevokeTokenMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListAudit returns the audit trail, newest first: every mutating call and
     * every refusal. An admin reads every team's entries, others their own
     * team's.
     * </pre>
     */
    public void listAudit(dev.cordyna.v1.ListAuditRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListAuditResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAuditMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WhoAmI returns the principal cerebro took the caller for.
     * </pre>
     */
    public void whoAmI(dev.cordyna.v1.WhoAmIRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.WhoAmIResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getWhoAmIMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service AccessService.
   * <pre>
   * AccessService manages who may call cerebro, and shows what they did.
   * Every call to cerebro carries a credential: a bearer token in the
   * `authorization: Bearer &lt;token&gt;` header, or a client certificate (mTLS)
   * whose common name a credential names. Cerebro maps it to a principal (a
   * team and a role) and checks each call against it; see the README's
   * "Security" section for who may do what. Refusals are UNAUTHENTICATED (no
   * or a bad credential) or PERMISSION_DENIED (the principal lacks the
   * right), naming the principal and what it lacked.
   * </pre>
   */
  public static final class AccessServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<AccessServiceBlockingV2Stub> {
    private AccessServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AccessServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AccessServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateToken creates a credential (admin only). The token's secret is in
     * the response and nowhere else: cerebro keeps only its hash.
     * </pre>
     */
    public dev.cordyna.v1.CreateTokenResponse createToken(dev.cordyna.v1.CreateTokenRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateTokenMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTokens lists every credential, revoked and expired ones too, without
     * secrets (admin only).
     * </pre>
     */
    public dev.cordyna.v1.ListTokensResponse listTokens(dev.cordyna.v1.ListTokensRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListTokensMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RevokeToken revokes a credential at once: calls with it are refused and
     * the streams opened with it are ended (admin only). NOT_FOUND when no
     * credential has that id.
     * </pre>
     */
    public dev.cordyna.v1.RevokeTokenResponse revokeToken(dev.cordyna.v1.RevokeTokenRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRevokeTokenMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListAudit returns the audit trail, newest first: every mutating call and
     * every refusal. An admin reads every team's entries, others their own
     * team's.
     * </pre>
     */
    public dev.cordyna.v1.ListAuditResponse listAudit(dev.cordyna.v1.ListAuditRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAuditMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WhoAmI returns the principal cerebro took the caller for.
     * </pre>
     */
    public dev.cordyna.v1.WhoAmIResponse whoAmI(dev.cordyna.v1.WhoAmIRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getWhoAmIMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service AccessService.
   * <pre>
   * AccessService manages who may call cerebro, and shows what they did.
   * Every call to cerebro carries a credential: a bearer token in the
   * `authorization: Bearer &lt;token&gt;` header, or a client certificate (mTLS)
   * whose common name a credential names. Cerebro maps it to a principal (a
   * team and a role) and checks each call against it; see the README's
   * "Security" section for who may do what. Refusals are UNAUTHENTICATED (no
   * or a bad credential) or PERMISSION_DENIED (the principal lacks the
   * right), naming the principal and what it lacked.
   * </pre>
   */
  public static final class AccessServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<AccessServiceBlockingStub> {
    private AccessServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AccessServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AccessServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateToken creates a credential (admin only). The token's secret is in
     * the response and nowhere else: cerebro keeps only its hash.
     * </pre>
     */
    public dev.cordyna.v1.CreateTokenResponse createToken(dev.cordyna.v1.CreateTokenRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateTokenMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTokens lists every credential, revoked and expired ones too, without
     * secrets (admin only).
     * </pre>
     */
    public dev.cordyna.v1.ListTokensResponse listTokens(dev.cordyna.v1.ListTokensRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTokensMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RevokeToken revokes a credential at once: calls with it are refused and
     * the streams opened with it are ended (admin only). NOT_FOUND when no
     * credential has that id.
     * </pre>
     */
    public dev.cordyna.v1.RevokeTokenResponse revokeToken(dev.cordyna.v1.RevokeTokenRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRevokeTokenMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListAudit returns the audit trail, newest first: every mutating call and
     * every refusal. An admin reads every team's entries, others their own
     * team's.
     * </pre>
     */
    public dev.cordyna.v1.ListAuditResponse listAudit(dev.cordyna.v1.ListAuditRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAuditMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WhoAmI returns the principal cerebro took the caller for.
     * </pre>
     */
    public dev.cordyna.v1.WhoAmIResponse whoAmI(dev.cordyna.v1.WhoAmIRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getWhoAmIMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service AccessService.
   * <pre>
   * AccessService manages who may call cerebro, and shows what they did.
   * Every call to cerebro carries a credential: a bearer token in the
   * `authorization: Bearer &lt;token&gt;` header, or a client certificate (mTLS)
   * whose common name a credential names. Cerebro maps it to a principal (a
   * team and a role) and checks each call against it; see the README's
   * "Security" section for who may do what. Refusals are UNAUTHENTICATED (no
   * or a bad credential) or PERMISSION_DENIED (the principal lacks the
   * right), naming the principal and what it lacked.
   * </pre>
   */
  public static final class AccessServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<AccessServiceFutureStub> {
    private AccessServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AccessServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AccessServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateToken creates a credential (admin only). The token's secret is in
     * the response and nowhere else: cerebro keeps only its hash.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.CreateTokenResponse> createToken(
        dev.cordyna.v1.CreateTokenRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateTokenMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListTokens lists every credential, revoked and expired ones too, without
     * secrets (admin only).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ListTokensResponse> listTokens(
        dev.cordyna.v1.ListTokensRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTokensMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * RevokeToken revokes a credential at once: calls with it are refused and
     * the streams opened with it are ended (admin only). NOT_FOUND when no
     * credential has that id.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.RevokeTokenResponse> revokeToken(
        dev.cordyna.v1.RevokeTokenRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRevokeTokenMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListAudit returns the audit trail, newest first: every mutating call and
     * every refusal. An admin reads every team's entries, others their own
     * team's.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ListAuditResponse> listAudit(
        dev.cordyna.v1.ListAuditRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAuditMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * WhoAmI returns the principal cerebro took the caller for.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.WhoAmIResponse> whoAmI(
        dev.cordyna.v1.WhoAmIRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getWhoAmIMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_TOKEN = 0;
  private static final int METHODID_LIST_TOKENS = 1;
  private static final int METHODID_REVOKE_TOKEN = 2;
  private static final int METHODID_LIST_AUDIT = 3;
  private static final int METHODID_WHO_AM_I = 4;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CREATE_TOKEN:
          serviceImpl.createToken((dev.cordyna.v1.CreateTokenRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.CreateTokenResponse>) responseObserver);
          break;
        case METHODID_LIST_TOKENS:
          serviceImpl.listTokens((dev.cordyna.v1.ListTokensRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTokensResponse>) responseObserver);
          break;
        case METHODID_REVOKE_TOKEN:
          serviceImpl.revokeToken((dev.cordyna.v1.RevokeTokenRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.RevokeTokenResponse>) responseObserver);
          break;
        case METHODID_LIST_AUDIT:
          serviceImpl.listAudit((dev.cordyna.v1.ListAuditRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ListAuditResponse>) responseObserver);
          break;
        case METHODID_WHO_AM_I:
          serviceImpl.whoAmI((dev.cordyna.v1.WhoAmIRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.WhoAmIResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getCreateTokenMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.CreateTokenRequest,
              dev.cordyna.v1.CreateTokenResponse>(
                service, METHODID_CREATE_TOKEN)))
        .addMethod(
          getListTokensMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ListTokensRequest,
              dev.cordyna.v1.ListTokensResponse>(
                service, METHODID_LIST_TOKENS)))
        .addMethod(
          getRevokeTokenMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.RevokeTokenRequest,
              dev.cordyna.v1.RevokeTokenResponse>(
                service, METHODID_REVOKE_TOKEN)))
        .addMethod(
          getListAuditMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ListAuditRequest,
              dev.cordyna.v1.ListAuditResponse>(
                service, METHODID_LIST_AUDIT)))
        .addMethod(
          getWhoAmIMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.WhoAmIRequest,
              dev.cordyna.v1.WhoAmIResponse>(
                service, METHODID_WHO_AM_I)))
        .build();
  }

  private static abstract class AccessServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    AccessServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.cordyna.v1.AccessProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("AccessService");
    }
  }

  private static final class AccessServiceFileDescriptorSupplier
      extends AccessServiceBaseDescriptorSupplier {
    AccessServiceFileDescriptorSupplier() {}
  }

  private static final class AccessServiceMethodDescriptorSupplier
      extends AccessServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    AccessServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (AccessServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new AccessServiceFileDescriptorSupplier())
              .addMethod(getCreateTokenMethod())
              .addMethod(getListTokensMethod())
              .addMethod(getRevokeTokenMethod())
              .addMethod(getListAuditMethod())
              .addMethod(getWhoAmIMethod())
              .build();
        }
      }
    }
    return result;
  }
}
