// ROUTE-REFRESH (RFC 2918), with the demarcation subtypes of Enhanced Route Refresh
// (RFC 7313 3): 0 normal request, 1 Beginning of RIB refresh, 2 End of RIB refresh.

export const RefreshSubtype = { request: 0, beginning: 1, end: 2 } as const;
export type RefreshSubtype = (typeof RefreshSubtype)[keyof typeof RefreshSubtype];

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  readonly subtype: number;
}
