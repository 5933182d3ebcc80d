import { readFileSync } from 'node:fs';

/**
 * The kernel's count of UDP datagrams dropped because a receive buffer was full (`RcvbufErrors` in
 * /proc/net/snmp; Linux only, machine-wide). A delta over a run says whether missing metrics were lost
 * at the receiver's socket rather than by the client. Undefined where the file does not exist.
 * @returns {number | undefined}
 */
export function udpRcvbufErrors() {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const i = names.indexOf('RcvbufErrors');
    return i === -1 ? undefined : Number(values[i]);
  } catch {
    return undefined;
  }
}
