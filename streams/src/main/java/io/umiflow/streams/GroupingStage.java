package io.umiflow.streams;

import akka.actor.ExtendedActorSystem;
import akka.actor.Terminated;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.japi.Pair;
import akka.stream.AbruptStageTerminationException;
import akka.stream.Attributes;
import akka.stream.FlowShape;
import akka.stream.Inlet;
import akka.stream.Outlet;
import akka.stream.stage.AbstractInHandler;
import akka.stream.stage.AbstractOutHandler;
import akka.stream.stage.GraphStageLogic;
import akka.stream.stage.AbstractGraphStageWithMaterializedValue;
import akka.util.ByteString;
import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.GroupStage;
import io.umiflow.actors.GroupedBatch;
import io.umiflow.actors.JobSummary;
import io.umiflow.codec.BamHeader;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stream stage behind {@link GroupingFlow}: one {@link GroupStage} actor per materialization, with this
 * stage's actor as its producer and its consumer. It turns the stage's byte credits into stream demand:
 * upstream is pulled only while the producer has bytes granted (a chunk larger than the grant is pushed in
 * parts, as grants come), and the stage keeps {@code window} bytes of requests open downstream, replacing
 * each batch's bytes when it is pushed on. So what this stage holds beyond the budget is at most the window
 * plus one batch, and a slow downstream stops the grants and with them the upstream.
 */
final class GroupingStage
    extends AbstractGraphStageWithMaterializedValue<FlowShape<ByteString, GroupedBatch>, CompletionStage<JobSummary>> {
  /** Names the grouping actors apart under {@code /system}. */
  private static final AtomicLong MATERIALIZED = new AtomicLong();
  /** The prefix of every grouping actor's name, under {@code /system}. */
  static final String ACTOR_PREFIX = "umiflow-grouping-";

  private final GroupSettings settings;
  private final BamHeader header;
  private final long window;
  private final Inlet<ByteString> in = Inlet.create("GroupingFlow.in");
  private final Outlet<GroupedBatch> out = Outlet.create("GroupingFlow.out");
  private final FlowShape<ByteString, GroupedBatch> shape = FlowShape.of(in, out);

  GroupingStage(GroupSettings settings, BamHeader header, long window) {
    this.settings = settings;
    this.header = header;
    this.window = window;
  }

  @Override
  public FlowShape<ByteString, GroupedBatch> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<JobSummary>> createLogicAndMaterializedValuePair(Attributes attributes) {
    CompletableFuture<JobSummary> result = new CompletableFuture<>();
    return Pair.create(new Logic(result), result);
  }

  private final class Logic extends GraphStageLogic {
    private final CompletableFuture<JobSummary> result;
    private final ArrayDeque<GroupedBatch> ready = new ArrayDeque<>();
    private ActorRef<GroupStage.Command> stage;
    /** Bytes the producer may still push. */
    private long granted;
    /** Bytes of the last upstream element not yet pushed to the stage. */
    private ByteString pending = ByteString.emptyByteString();
    private boolean upstreamDone;
    private boolean endSent;
    /** The grouping actor has ended (completed, failed, or was told to stop): tell it nothing more. */
    private boolean stageEnded;
    private JobSummary summary;

    Logic(CompletableFuture<JobSummary> result) {
      super(shape);
      this.result = result;
      setHandler(in, new AbstractInHandler() {
        @Override
        public void onPush() {
          pending = grab(in);
          pushToStage();
          pullWhenGranted();
        }

        @Override
        public void onUpstreamFinish() {
          upstreamDone = true;
          pushToStage(); // ends the input once the last bytes are granted; the stage completes when the job does
        }

        @Override
        public void onUpstreamFailure(Throwable cause) {
          endStage(new GroupStage.ProducerFailed(String.valueOf(cause.getMessage() != null ? cause.getMessage()
              : cause.getClass().getSimpleName())));
          result.completeExceptionally(cause);
          failStage(cause);
        }
      });
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          deliver();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          endStage(GroupStage.Cancel.INSTANCE); // stops the job and frees its memory
          result.completeExceptionally(cause instanceof akka.stream.SubscriptionWithCancelException.NonFailureCancellation
              ? new CancellationException("downstream cancelled before the grouping finished") : cause);
          completeStage();
        }
      });
    }

    @Override
    public void preStart() {
      StageActor self = getStageActor(message -> {
        onMessage(message);
        return scala.runtime.BoxedUnit.UNIT;
      });
      ExtendedActorSystem system = (ExtendedActorSystem) materializer().system();
      akka.actor.ActorRef classic = system.systemActorOf(Adapter.props(GroupStage::create),
          ACTOR_PREFIX + MATERIALIZED.incrementAndGet());
      self.watch(classic);
      stage = Adapter.toTyped(classic);
      ActorRef<GroupStage.ProducerEvent> producer = Adapter.toTyped(self.ref());
      ActorRef<GroupStage.ConsumerEvent> consumer = Adapter.toTyped(self.ref());
      stage.tell(new GroupStage.Request(window));
      stage.tell(new GroupStage.Start(settings, header, producer, consumer));
    }

    private void onMessage(scala.Tuple2<akka.actor.ActorRef, Object> message) {
      Object m = message._2();
      if (m instanceof GroupStage.Grant g) {
        granted += g.bytes();
        pushToStage();
        pullWhenGranted();
      } else if (m instanceof GroupStage.Molecules molecules) {
        ready.add(molecules.batch());
        deliver();
      } else if (m instanceof GroupStage.Completed c) {
        stageEnded = true;
        summary = c.summary();
        deliver();
      } else if (m instanceof GroupStage.Failed f) {
        stageEnded = true;
        GroupingException failure = new GroupingException(f.reason(), f.neededBudget());
        result.completeExceptionally(failure);
        failStage(failure);
      } else if (m instanceof Terminated && !stageEnded) {
        IllegalStateException failure = new IllegalStateException("the grouping actor stopped unexpectedly");
        stageEnded = true;
        result.completeExceptionally(failure);
        failStage(failure);
      }
      // Stopped (the producer's end) adds nothing to Completed or Failed
    }

    /** Sends the pending bytes the grants cover; ends the input when upstream has finished and all is sent. */
    private void pushToStage() {
      while (!pending.isEmpty() && granted > 0 && !stageEnded) {
        int n = (int) Math.min(granted, pending.size());
        // the whole element: its array as it is when the ByteString wraps one exactly (no copy), else a copy
        byte[] bytes = n == pending.size() ? pending.toArrayUnsafe() : pending.take(n).toArray();
        stage.tell(new GroupStage.Push(bytes, n));
        granted -= n;
        pending = pending.drop(n);
      }
      if (upstreamDone && pending.isEmpty() && !endSent && !stageEnded) {
        endSent = true;
        stage.tell(GroupStage.EndOfInput.INSTANCE);
      }
    }

    private void pullWhenGranted() {
      if (pending.isEmpty() && granted > 0 && !isClosed(in) && !hasBeenPulled(in)) {
        pull(in);
      }
    }

    /** Pushes the next batch when downstream wants one, replacing its bytes in the requests; completes at the end. */
    private void deliver() {
      if (!ready.isEmpty() && isAvailable(out)) {
        GroupedBatch b = ready.poll();
        push(out, b);
        if (!stageEnded) {
          stage.tell(new GroupStage.Request(b.bytes()));
        }
      }
      if (summary != null && ready.isEmpty()) {
        result.complete(summary);
        completeStage();
      }
    }

    /** Tells the grouping actor to end (once), unless it has ended by itself. */
    private void endStage(GroupStage.Command last) {
      if (!stageEnded && stage != null) {
        stageEnded = true;
        stage.tell(last);
      }
    }

    @Override
    public void postStop() {
      endStage(GroupStage.Cancel.INSTANCE);
      if (!result.isDone()) {
        result.completeExceptionally(new AbruptStageTerminationException(this));
      }
    }
  }
}
