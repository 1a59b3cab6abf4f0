// Which versions of this service each loss rate runs: the service as shipped, and where there is
// loss, the same service with every track event withheld, to measure what the evidence of
// attendance-model event rule 5 (events naming a participant) is worth.
export function variantsFor(lossRate) {
  const ours = { name: 'this service', deliverTracks: true };
  if (lossRate < 0.2) return [ours];
  return [ours, { name: 'this service, track events withheld', deliverTracks: false }];
}
