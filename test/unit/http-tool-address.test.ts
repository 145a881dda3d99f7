import { checkEndpointUrl, classAllowed, classifyAddress, isLoopbackHost, type AddressClass, type AddressPolicy } from '../../core/outbound/address';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    // IPv4
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.0', 'public'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    // IPv6
    ['2606:4700:4700::1111', 'public'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2::253', 'private'],
    ['fc00::1', 'private'],
    ['fdff:ffff::1', 'private'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    // IPv6 carrying an IPv4 address: the IPv4 address decides
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.5', 'private'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::10.0.0.5', 'private'],
    ['64:ff9b::808:808', 'public'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:808:808::1', 'public'],
    // not addresses
    ['localhost', 'not-an-address'],
    ['orders.example.com', 'not-an-address'],
    ['', 'not-an-address'],
    ['1.2.3', 'not-an-address'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });
});

describe('classAllowed', () => {
  const aws: AddressPolicy = { allowLoopback: false, allowPrivateNetwork: false };
  const dev: AddressPolicy = { allowLoopback: true, allowPrivateNetwork: false };
  const privateTool: AddressPolicy = { allowLoopback: false, allowPrivateNetwork: true };
  // [class, in AWS, in switchboard dev, a tool with allowPrivateNetwork (in AWS)]
  it.each<[AddressClass, boolean, boolean, boolean]>([
    ['public', true, true, true],
    ['loopback', false, true, true],
    ['private', false, false, true],
    ['link-local', false, false, false],
    ['metadata', false, false, false],
    ['unspecified', false, false, false],
    ['multicast', false, false, false],
    ['broadcast', false, false, false],
    ['reserved', false, false, false],
    ['not-an-address', false, false, false],
  ])('%s: AWS %s, dev %s, allowPrivateNetwork %s', (cls, inAws, inDev, withPrivate) => {
    expect([classAllowed(cls, aws), classAllowed(cls, dev), classAllowed(cls, privateTool)]).toEqual([inAws, inDev, withPrivate]);
  });
});

describe('checkEndpointUrl', () => {
  it.each([
    ['https://orders.example.com/lookup'],
    ['https://10.0.0.5/lookup'],
    ['http://localhost:8080/lookup'],
    ['http://LOCALHOST/lookup'],
    ['http://127.0.0.1:8080/lookup'],
    ['http://127.1.2.3/lookup'],
    ['http://[::1]:8080/lookup'],
    ['http://2130706433/lookup'],
  ])('accepts %s', (url) => {
    expect(checkEndpointUrl(url, 'the tool url')).toMatchObject({ ok: true, url: expect.any(URL) });
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['ftp://orders.example.com/x', 'must start with https:// (not ftp://)'],
    ['file:///etc/passwd', 'must start with https://'],
    ['http://orders.example.com/lookup', 'http:// is allowed only to this machine'],
    ['http://10.0.0.5/lookup', 'http:// is allowed only to this machine'],
    ['http://localhost.example.com/lookup', 'http:// is allowed only to this machine'],
    ['https://user:pass@orders.example.com/lookup', 'must not carry a user name or password'],
  ])('refuses %s', (url, problem) => {
    const checked = checkEndpointUrl(url, 'the tool url');
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problem).toContain(problem);
  });

  it.each([
    ['localhost', true],
    ['localhost.', true],
    ['127.0.0.1', true],
    ['[::1]', true],
    ['example.com', false],
    ['10.0.0.1', false],
  ])('isLoopbackHost(%s) is %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
