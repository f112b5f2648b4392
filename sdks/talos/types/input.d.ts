import * as pulumi from "@pulumi/pulumi";

// Naming: a type used only by resources carries `pulumi.Input` fields and has no
// suffix. A type also used by an invoke comes in two shapes: a plain one (for the
// Promise form) and an `...Args` one with `pulumi.Input` fields (for resources
// and the Output form).

/** Nested input types of the `machine` module. */
export declare namespace machine {
  /** Credentials for the Talos API (mTLS): the CA to trust and a client certificate and key. */
  interface ClientConfiguration {
    /** PEM-encoded CA certificate (base64) that signs the Talos API server certificates. */
    caCertificate: string;
    /** PEM-encoded client certificate (base64) presented to the Talos API. */
    clientCertificate: string;
    /** PEM-encoded client private key (base64). Secret. */
    clientKey: string;
  }

  /** {@link ClientConfiguration} whose fields may be outputs of other resources. */
  interface ClientConfigurationArgs {
    /** PEM-encoded CA certificate (base64) that signs the Talos API server certificates. */
    caCertificate: pulumi.Input<string>;
    /** PEM-encoded client certificate (base64) presented to the Talos API. */
    clientCertificate: pulumi.Input<string>;
    /** PEM-encoded client private key (base64). Secret. */
    clientKey: pulumi.Input<string>;
  }

  /** The full cluster secrets bundle, normally taken from `machine.Secrets.machineSecrets`. */
  interface MachineSecrets {
    /** The cluster's certificate authorities. */
    certs: Certificates;
    /** Cluster identity. */
    cluster: Cluster;
    /** Kubernetes bootstrap and encryption secrets. */
    secrets: KubernetesSecrets;
    /** Token trustd uses to admit joining machines. */
    trustdinfo: TrustdInfo;
  }

  /** {@link MachineSecrets} whose fields may be outputs of other resources. */
  interface MachineSecretsArgs {
    /** The cluster's certificate authorities. */
    certs: pulumi.Input<CertificatesArgs>;
    /** Cluster identity. */
    cluster: pulumi.Input<ClusterArgs>;
    /** Kubernetes bootstrap and encryption secrets. */
    secrets: pulumi.Input<KubernetesSecretsArgs>;
    /** Token trustd uses to admit joining machines. */
    trustdinfo: pulumi.Input<TrustdInfoArgs>;
  }

  /** The certificate authorities of a cluster. */
  interface Certificates {
    /** etcd peer and client CA. */
    etcd: Certificate;
    /** Kubernetes cluster CA. */
    k8s: Certificate;
    /** CA of the Kubernetes API aggregation layer (front proxy). */
    k8sAggregator: Certificate;
    /** Signing key for Kubernetes service account tokens. */
    k8sServiceaccount: Key;
    /** Talos API (machined/apid) CA. */
    os: Certificate;
  }

  /** {@link Certificates} whose fields may be outputs of other resources. */
  interface CertificatesArgs {
    /** etcd peer and client CA. */
    etcd: pulumi.Input<CertificateArgs>;
    /** Kubernetes cluster CA. */
    k8s: pulumi.Input<CertificateArgs>;
    /** CA of the Kubernetes API aggregation layer (front proxy). */
    k8sAggregator: pulumi.Input<CertificateArgs>;
    /** Signing key for Kubernetes service account tokens. */
    k8sServiceaccount: pulumi.Input<KeyArgs>;
    /** Talos API (machined/apid) CA. */
    os: pulumi.Input<CertificateArgs>;
  }

  /** A CA certificate with its private key. */
  interface Certificate {
    /** PEM-encoded certificate (base64). */
    cert: string;
    /** PEM-encoded private key (base64). Secret. */
    key: string;
  }

  /** {@link Certificate} whose fields may be outputs of other resources. */
  interface CertificateArgs {
    /** PEM-encoded certificate (base64). */
    cert: pulumi.Input<string>;
    /** PEM-encoded private key (base64). Secret. */
    key: pulumi.Input<string>;
  }

  /** A bare private key. */
  interface Key {
    /** PEM-encoded private key (base64). Secret. */
    key: string;
  }

  /** {@link Key} whose field may be an output of another resource. */
  interface KeyArgs {
    /** PEM-encoded private key (base64). Secret. */
    key: pulumi.Input<string>;
  }

  /** Cluster identity used by Talos discovery. */
  interface Cluster {
    /** Cluster ID. */
    id: string;
    /** Shared secret that encrypts discovery data. Secret. */
    secret: string;
  }

  /** {@link Cluster} whose fields may be outputs of other resources. */
  interface ClusterArgs {
    /** Cluster ID. */
    id: pulumi.Input<string>;
    /** Shared secret that encrypts discovery data. Secret. */
    secret: pulumi.Input<string>;
  }

  /** Kubernetes-side secrets: the bootstrap token and the keys that encrypt Secrets in etcd. */
  interface KubernetesSecrets {
    /** AES-CBC key for encryption at rest; optional, as Talos defaults to the secretbox key. Secret. */
    aescbcEncryptionSecret?: string;
    /** Kubelet TLS bootstrap token. Secret. */
    bootstrapToken: string;
    /** Secretbox key for encryption at rest. Secret. */
    secretboxEncryptionSecret: string;
  }

  /** {@link KubernetesSecrets} whose fields may be outputs of other resources. */
  interface KubernetesSecretsArgs {
    /** AES-CBC key for encryption at rest; optional, as Talos defaults to the secretbox key. Secret. */
    aescbcEncryptionSecret?: pulumi.Input<string>;
    /** Kubelet TLS bootstrap token. Secret. */
    bootstrapToken: pulumi.Input<string>;
    /** Secretbox key for encryption at rest. Secret. */
    secretboxEncryptionSecret: pulumi.Input<string>;
  }

  /** trustd settings. */
  interface TrustdInfo {
    /** Token machines present to trustd to obtain certificates. Secret. */
    token: string;
  }

  /** {@link TrustdInfo} whose field may be an output of another resource. */
  interface TrustdInfoArgs {
    /** Token machines present to trustd to obtain certificates. Secret. */
    token: pulumi.Input<string>;
  }

  /**
   * Write-only Talos API credentials for `machine.Bootstrap`: sent to the
   * provider but not read back into state. Every field is secret.
   */
  interface BootstrapClientConfigurationWo {
    /** PEM-encoded CA certificate (base64). */
    caCertificate: pulumi.Input<string>;
    /** PEM-encoded client certificate (base64). */
    clientCertificate: pulumi.Input<string>;
    /** PEM-encoded client private key (base64). */
    clientKey: pulumi.Input<string>;
  }

  /** Operation timeouts for `machine.Bootstrap`, as Go duration strings (`"30s"`, `"10m"`). */
  interface BootstrapTimeouts {
    /** How long the bootstrap call may take. */
    create?: pulumi.Input<string>;
  }

  /**
   * Write-only Talos API credentials for `machine.ConfigurationApply`: sent to
   * the provider but not read back into state. Every field is secret.
   */
  interface ConfigurationApplyClientConfigurationWo {
    /** PEM-encoded CA certificate (base64). */
    caCertificate: pulumi.Input<string>;
    /** PEM-encoded client certificate (base64). */
    clientCertificate: pulumi.Input<string>;
    /** PEM-encoded client private key (base64). */
    clientKey: pulumi.Input<string>;
  }

  /**
   * What `machine.ConfigurationApply` does to the node when it is destroyed. Nothing
   * happens unless `reset` is true. A change here must be applied with `pulumi up`
   * before a later destroy sees it.
   */
  interface ConfigurationApplyOnDestroy {
    /**
     * Leave etcd cleanly (with etcd health checks) before resetting.
     * @default true
     */
    graceful?: pulumi.Input<boolean>;
    /**
     * Reboot after the reset instead of halting.
     * @default false
     */
    reboot?: pulumi.Input<boolean>;
    /**
     * Wipe the STATE and EPHEMERAL partitions, returning the node to maintenance mode.
     * @default false
     */
    reset?: pulumi.Input<boolean>;
  }

  /** Operation timeouts for `machine.ConfigurationApply`, as Go duration strings. */
  interface Timeout {
    /** How long the first apply may take. */
    create?: pulumi.Input<string>;
    /** How long the reset on destroy may take (only used when `onDestroy.reset` is set). */
    delete?: pulumi.Input<string>;
    /** How long a re-apply may take. */
    update?: pulumi.Input<string>;
  }
}

/** Nested input types of the `cluster` module. */
export declare namespace cluster {
  /** Talos API credentials used by `cluster.Kubeconfig`. */
  interface KubeconfigClientConfiguration {
    /** PEM-encoded CA certificate (base64). */
    caCertificate: pulumi.Input<string>;
    /** PEM-encoded client certificate (base64). */
    clientCertificate: pulumi.Input<string>;
    /** PEM-encoded client private key (base64). Secret. */
    clientKey: pulumi.Input<string>;
  }

  /** The parts of a kubeconfig, as recorded in `cluster.Kubeconfig` state (lookups only). */
  interface KubeconfigKubernetesClientConfiguration {
    /** Kubernetes cluster CA certificate (base64 PEM). */
    caCertificate?: pulumi.Input<string>;
    /** Admin client certificate (base64 PEM). */
    clientCertificate?: pulumi.Input<string>;
    /** Admin client private key (base64 PEM). Secret. */
    clientKey?: pulumi.Input<string>;
    /** Kubernetes API server URL. */
    host?: pulumi.Input<string>;
  }

  /** Operation timeouts for `cluster.Kubeconfig`, as Go duration strings. */
  interface KubeconfigTimeouts {
    /** How long fetching the kubeconfig may take on create. */
    create?: pulumi.Input<string>;
    /** How long regenerating it may take on update. */
    update?: pulumi.Input<string>;
  }

  /** Talos API credentials used by `cluster.getHealth` (plain values). */
  interface GetHealthClientConfiguration {
    /** PEM-encoded CA certificate (base64). */
    caCertificate: string;
    /** PEM-encoded client certificate (base64). */
    clientCertificate: string;
    /** PEM-encoded client private key (base64). Secret. */
    clientKey: string;
  }

  /** {@link GetHealthClientConfiguration} whose fields may be outputs. */
  interface GetHealthClientConfigurationArgs {
    /** PEM-encoded CA certificate (base64). */
    caCertificate: pulumi.Input<string>;
    /** PEM-encoded client certificate (base64). */
    clientCertificate: pulumi.Input<string>;
    /** PEM-encoded client private key (base64). Secret. */
    clientKey: pulumi.Input<string>;
  }

  /** How long `cluster.getHealth` waits (plain value). */
  interface GetHealthTimeouts {
    /** Maximum wait for the cluster to turn healthy, as a Go duration string. */
    read?: string;
  }

  /** {@link GetHealthTimeouts} whose field may be an output. */
  interface GetHealthTimeoutsArgs {
    /** Maximum wait for the cluster to turn healthy, as a Go duration string. */
    read?: pulumi.Input<string>;
  }
}

/** Nested input types of the `client` module. */
export declare namespace client {
  /** Talos API credentials to embed in a generated talosconfig (plain values). */
  interface GetConfigurationClientConfiguration {
    /** PEM-encoded CA certificate (base64). */
    caCertificate: string;
    /** PEM-encoded client certificate (base64). */
    clientCertificate: string;
    /** PEM-encoded client private key (base64). Secret. */
    clientKey: string;
  }

  /** {@link GetConfigurationClientConfiguration} whose fields may be outputs. */
  interface GetConfigurationClientConfigurationArgs {
    /** PEM-encoded CA certificate (base64). */
    caCertificate: pulumi.Input<string>;
    /** PEM-encoded client certificate (base64). */
    clientCertificate: pulumi.Input<string>;
    /** PEM-encoded client private key (base64). Secret. */
    clientKey: pulumi.Input<string>;
  }
}
