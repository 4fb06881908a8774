// The controller's output in Kubernetes: a Service's assigned addresses written to its
// status subresource (status.loadBalancer.ingress), and why an assignment failed as an
// Event on the Service, where `kubectl describe service` shows it.

import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

/** The component name Events carry, as `kubectl get events` shows it. */
export const eventSource = 'tsbgp-controller';

export class KubeStatusWriter {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Sets the Service's ingress list to `addresses` (empty releases it). */
  async writeIngress(namespace: string, name: string, addresses: readonly string[]): Promise<void> {
    const service = await this.core.readNamespacedServiceStatus({ name, namespace });
    service.status = { ...service.status, loadBalancer: { ingress: addresses.map((ip) => ({ ip })) } };
    await this.core.replaceNamespacedServiceStatus({ name, namespace, body: service });
  }

  /** A Warning event on the Service. */
  async recordEvent(namespace: string, name: string, reason: string, message: string, now: Date): Promise<void> {
    await this.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${name}.`, namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Service', name, namespace },
        reason,
        message,
        type: 'Warning',
        source: { component: eventSource },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}
