package io.umiflow.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.ShardingEnvelope;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Starts one member of a umiflow cluster: an ActorSystem named {@code umiflow} with Artery TCP on the given
 * host and port, joining the seed nodes, with the split brain resolver (keep-majority) and graceful leaving
 * through CoordinatedShutdown. A worker hosts sample entities; a submitter (the cohort command) only sends
 * them work through a sharding proxy. Settings not given here come from {@code umiflow-cluster.conf}.
 */
public final class ClusterNode {
  /** Members that host sample entities have this role. */
  public static final String WORKER_ROLE = "worker";
  /** The cohort command joins with this role. */
  public static final String SUBMITTER_ROLE = "submitter";

  /**
   * How to start a member.
   *
   * @param host       address to bind and advertise (127.0.0.1 by default on the command line)
   * @param port       Artery TCP port; 0 for any free port
   * @param seedNodes  {@code host:port} of the seed nodes (may include this node)
   * @param worker     true to host sample entities
   * @param node       what each sample gets on this node (workers only)
   * @param extra      more config, e.g. for tests; may be empty
   * @param tls        TLS with mutual authentication between members, or null for plain TCP
   */
  public record Options(String host, int port, List<String> seedNodes, boolean worker, NodeSettings node,
                        String extra, Tls tls) {
    /** A member over plain TCP. */
    public Options(String host, int port, List<String> seedNodes, boolean worker, NodeSettings node, String extra) {
      this(host, port, seedNodes, worker, node, extra, null);
    }
  }

  /**
   * The cluster modules' reference.conf files, concatenated. The packaged jar keeps them out of its own
   * reference.conf, which every ActorSystem parses and whose serializers it instantiates, so that local runs
   * do not pay for remoting, sharding and Jackson; a member layers them back in here. On a plain classpath
   * (tests, embedding) the resource is absent and the jars' own reference.conf files serve.
   */
  public static final String CLUSTER_REFERENCE = "umiflow-cluster-reference.conf";

  private ClusterNode() {}

  /** The config of a member, for {@link #start}. */
  public static Config config(Options o) {
    String seeds = o.seedNodes().stream()
        .map(s -> "\"akka://umiflow@" + s.trim() + "\"")
        .collect(Collectors.joining(", ", "[", "]"));
    String text = "akka.remote.artery.canonical.hostname = \"" + o.host() + "\"\n"
        + "akka.remote.artery.canonical.port = " + o.port() + "\n"
        + "akka.cluster.seed-nodes = " + seeds + "\n"
        + "akka.cluster.roles = [" + (o.worker() ? WORKER_ROLE : SUBMITTER_ROLE) + "]\n"
        + (o.tls() == null ? "" : o.tls().config());
    // system properties (-Dakka...) override everything, as they would in ConfigFactory.load()
    return ConfigFactory.defaultOverrides()
        .withFallback(ConfigFactory.parseString(o.extra() == null ? "" : o.extra()))
        .withFallback(ConfigFactory.parseString(text))
        .withFallback(ConfigFactory.parseResources(ClusterNode.class, "/umiflow-cluster.conf"))
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.parseResources(ClusterNode.class, "/" + CLUSTER_REFERENCE))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /** Starts the member; a worker also starts its job slots and hosts the sample entities. */
  public static ActorSystem<Void> start(Options o) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "umiflow", config(o));
    if (o.worker()) {
      ActorRef<NodeSlots.Command> slots = system.systemActorOf(
          NodeSlots.create(o.node().concurrentSamples()), "umiflow-slots", akka.actor.typed.Props.empty());
      ClusterSharding.get(system).init(Entity.of(SampleEntity.TYPE_KEY,
          ctx -> SampleEntity.create(o.node(), slots)).withRole(WORKER_ROLE));
    } else {
      proxy(system);
    }
    return system;
  }

  /** The sharding region (or, on a submitter, the proxy to the workers' regions). */
  public static ActorRef<ShardingEnvelope<SampleEntity.Command>> proxy(ActorSystem<?> system) {
    return ClusterSharding.get(system).init(Entity.of(SampleEntity.TYPE_KEY,
        ctx -> Behaviors.<SampleEntity.Command>stopped()).withRole(WORKER_ROLE));
  }
}
