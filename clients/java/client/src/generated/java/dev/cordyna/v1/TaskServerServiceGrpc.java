package dev.cordyna.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * TaskServerService is the one service a task-server talks to.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class TaskServerServiceGrpc {

  private TaskServerServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "cordyna.v1.TaskServerService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ConnectRequest,
      dev.cordyna.v1.ConnectResponse> getConnectMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Connect",
      requestType = dev.cordyna.v1.ConnectRequest.class,
      responseType = dev.cordyna.v1.ConnectResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ConnectRequest,
      dev.cordyna.v1.ConnectResponse> getConnectMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ConnectRequest, dev.cordyna.v1.ConnectResponse> getConnectMethod;
    if ((getConnectMethod = TaskServerServiceGrpc.getConnectMethod) == null) {
      synchronized (TaskServerServiceGrpc.class) {
        if ((getConnectMethod = TaskServerServiceGrpc.getConnectMethod) == null) {
          TaskServerServiceGrpc.getConnectMethod = getConnectMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ConnectRequest, dev.cordyna.v1.ConnectResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Connect"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ConnectRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ConnectResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TaskServerServiceMethodDescriptorSupplier("Connect"))
              .build();
        }
      }
    }
    return getConnectMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static TaskServerServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceStub>() {
        @java.lang.Override
        public TaskServerServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TaskServerServiceStub(channel, callOptions);
        }
      };
    return TaskServerServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static TaskServerServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceBlockingV2Stub>() {
        @java.lang.Override
        public TaskServerServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TaskServerServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return TaskServerServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static TaskServerServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceBlockingStub>() {
        @java.lang.Override
        public TaskServerServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TaskServerServiceBlockingStub(channel, callOptions);
        }
      };
    return TaskServerServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static TaskServerServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TaskServerServiceFutureStub>() {
        @java.lang.Override
        public TaskServerServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TaskServerServiceFutureStub(channel, callOptions);
        }
      };
    return TaskServerServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * TaskServerService is the one service a task-server talks to.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Connect is the long-lived session of one task-server instance.
     * The first message up must be a Hello. Cerebro answers with a Welcome, or
     * with a Rejection (one error per bad declaration) and then ends the stream
     * with INVALID_ARGUMENT (bad declarations, cycles), ALREADY_EXISTS (a task
     * owned by another server) or FAILED_PRECONDITION (incompatible protocol
     * version). After the Welcome, cerebro sends Invoke, Cancel, Ack and Ping;
     * the server sends TaskStateUpdate, Heartbeat, Redeclare, Drain and Pong.
     * From protocol 1.1 on, either side may carry several updates or invokes
     * in one message (TaskStateUpdates, Invokes); see ProtocolVersion. From
     * 1.4 on, the server may say how far an attempt got (AttemptProgress).
     * </pre>
     */
    default io.grpc.stub.StreamObserver<dev.cordyna.v1.ConnectRequest> connect(
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ConnectResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getConnectMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service TaskServerService.
   * <pre>
   * TaskServerService is the one service a task-server talks to.
   * </pre>
   */
  public static abstract class TaskServerServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return TaskServerServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service TaskServerService.
   * <pre>
   * TaskServerService is the one service a task-server talks to.
   * </pre>
   */
  public static final class TaskServerServiceStub
      extends io.grpc.stub.AbstractAsyncStub<TaskServerServiceStub> {
    private TaskServerServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TaskServerServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TaskServerServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Connect is the long-lived session of one task-server instance.
     * The first message up must be a Hello. Cerebro answers with a Welcome, or
     * with a Rejection (one error per bad declaration) and then ends the stream
     * with INVALID_ARGUMENT (bad declarations, cycles), ALREADY_EXISTS (a task
     * owned by another server) or FAILED_PRECONDITION (incompatible protocol
     * version). After the Welcome, cerebro sends Invoke, Cancel, Ack and Ping;
     * the server sends TaskStateUpdate, Heartbeat, Redeclare, Drain and Pong.
     * From protocol 1.1 on, either side may carry several updates or invokes
     * in one message (TaskStateUpdates, Invokes); see ProtocolVersion. From
     * 1.4 on, the server may say how far an attempt got (AttemptProgress).
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.cordyna.v1.ConnectRequest> connect(
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ConnectResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getConnectMethod(), getCallOptions()), responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service TaskServerService.
   * <pre>
   * TaskServerService is the one service a task-server talks to.
   * </pre>
   */
  public static final class TaskServerServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<TaskServerServiceBlockingV2Stub> {
    private TaskServerServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TaskServerServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TaskServerServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Connect is the long-lived session of one task-server instance.
     * The first message up must be a Hello. Cerebro answers with a Welcome, or
     * with a Rejection (one error per bad declaration) and then ends the stream
     * with INVALID_ARGUMENT (bad declarations, cycles), ALREADY_EXISTS (a task
     * owned by another server) or FAILED_PRECONDITION (incompatible protocol
     * version). After the Welcome, cerebro sends Invoke, Cancel, Ack and Ping;
     * the server sends TaskStateUpdate, Heartbeat, Redeclare, Drain and Pong.
     * From protocol 1.1 on, either side may carry several updates or invokes
     * in one message (TaskStateUpdates, Invokes); see ProtocolVersion. From
     * 1.4 on, the server may say how far an attempt got (AttemptProgress).
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<dev.cordyna.v1.ConnectRequest, dev.cordyna.v1.ConnectResponse>
        connect() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getConnectMethod(), getCallOptions());
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service TaskServerService.
   * <pre>
   * TaskServerService is the one service a task-server talks to.
   * </pre>
   */
  public static final class TaskServerServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<TaskServerServiceBlockingStub> {
    private TaskServerServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TaskServerServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TaskServerServiceBlockingStub(channel, callOptions);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service TaskServerService.
   * <pre>
   * TaskServerService is the one service a task-server talks to.
   * </pre>
   */
  public static final class TaskServerServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<TaskServerServiceFutureStub> {
    private TaskServerServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TaskServerServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TaskServerServiceFutureStub(channel, callOptions);
    }
  }

  private static final int METHODID_CONNECT = 0;

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
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CONNECT:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.connect(
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ConnectResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getConnectMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              dev.cordyna.v1.ConnectRequest,
              dev.cordyna.v1.ConnectResponse>(
                service, METHODID_CONNECT)))
        .build();
  }

  private static abstract class TaskServerServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    TaskServerServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.cordyna.v1.TaskServerProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("TaskServerService");
    }
  }

  private static final class TaskServerServiceFileDescriptorSupplier
      extends TaskServerServiceBaseDescriptorSupplier {
    TaskServerServiceFileDescriptorSupplier() {}
  }

  private static final class TaskServerServiceMethodDescriptorSupplier
      extends TaskServerServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    TaskServerServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (TaskServerServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new TaskServerServiceFileDescriptorSupplier())
              .addMethod(getConnectMethod())
              .build();
        }
      }
    }
    return result;
  }
}
