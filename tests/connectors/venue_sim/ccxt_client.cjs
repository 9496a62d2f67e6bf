// A standard client library against venue-sim: ccxt's own exchange class for the venue, with
// its default options and only its API addresses pointed at venue-sim (TLS, the test CA in
// NODE_EXTRA_CA_CERTS). It trades as a desk's script would: load markets, order book, balance,
// a limit buy that rests under the best bid (fetched, listed open, canceled, fetched again), a
// market sell, and the trades (Upbit: ccxt has no fetchMyTrades for it, so the sell's fills as
// fetchOrder reports them). One line per step: "ok STEP ..." or "fail STEP ...".
//
//   node ccxt_client.cjs VENUE BASE_URL API_KEY SECRET [PASSPHRASE]
//   (ccxt from NODE_PATH; VENUE binance | bybit | okx | upbit)
'use strict';
const ccxt = require('ccxt');

const [, , venue, base, apiKey, secret, password] = process.argv;

function client() {
  const credentials = { apiKey, secret };
  if (venue === 'binance') {
    const e = new ccxt.binance(credentials);
    // Every Binance API family at venue-sim's address, paths unchanged.
    for (const k of Object.keys(e.urls.api)) e.urls.api[k] = e.urls.api[k].replace(/^https:\/\/[^/]+/, base);
    return [e, 'BTC/USDT', 0.001];
  }
  if (venue === 'bybit') {
    const e = new ccxt.bybit(credentials);
    for (const k of Object.keys(e.urls.api)) e.urls.api[k] = base;
    return [e, 'BTC/USDT', 0.001];
  }
  if (venue === 'okx') {
    const e = new ccxt.okx({ ...credentials, password });
    e.urls.api.rest = base;
    return [e, 'BTC/USDT', 0.001];
  }
  if (venue === 'upbit') {
    const e = new ccxt.upbit(credentials);
    e.urls.api.public = base;
    e.urls.api.private = base;
    return [e, 'BTC/KRW', 0.001];
  }
  throw new Error(`unknown venue ${venue}`);
}

let failed = 0;
function report(ok, step, detail) {
  if (!ok) failed += 1;
  console.log(`${ok ? 'ok' : 'fail'} ${step} ${detail}`);
}
async function step(name, f) {
  try {
    const r = await f();
    return r;
  } catch (err) {
    report(false, name, String(err).replace(/\s+/g, ' ').slice(0, 600));
    return undefined;
  }
}
function check(name, cond, detail) {
  report(Boolean(cond), name, detail);
  return Boolean(cond);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const [e, symbol, amount] = client();
  const markets = await step('loadMarkets', () => e.loadMarkets());
  if (!markets) return;
  check('loadMarkets', markets[symbol] !== undefined && markets[symbol].active !== false,
    `${Object.keys(markets).length} markets, ${symbol} ${markets[symbol] ? 'listed' : 'missing'}`);
  const book = await step('fetchOrderBook', () => e.fetchOrderBook(symbol, 5));
  if (!book) return;
  const bid = book.bids.length ? book.bids[0][0] : undefined;
  const ask = book.asks.length ? book.asks[0][0] : undefined;
  if (!check('fetchOrderBook', bid !== undefined && ask !== undefined && bid < ask, `bid ${bid} ask ${ask}`)) return;
  const balance = await step('fetchBalance', () => e.fetchBalance());
  if (balance) {
    const quote = markets[symbol].quote;
    check('fetchBalance', balance.total[quote] > 0, `${quote} ${balance.total[quote]}, BTC ${balance.total.BTC}`);
  }

  // A limit buy at the book's fifth bid (a price on the venue's tick, under the best bid): it rests.
  const under = book.bids[Math.min(4, book.bids.length - 1)][0];
  const placed = await step('createOrder', () => e.createOrder(symbol, 'limit', 'buy', amount, under));
  if (!placed) return;
  check('createOrder', typeof placed.id === 'string' && placed.id.length > 0, `id ${placed.id}`);
  // Bybit's fetchOrder asks the caller to acknowledge it only sees the last 500 orders.
  const fetchParams = venue === 'bybit' ? { acknowledged: true } : {};
  const fetched = await step('fetchOrder', () => e.fetchOrder(placed.id, symbol, fetchParams));
  if (fetched) {
    check('fetchOrder', fetched.id === placed.id && fetched.price === under && fetched.amount === amount,
      `status ${fetched.status} price ${fetched.price} amount ${fetched.amount}`);
  }
  const open = await step('fetchOpenOrders', () => e.fetchOpenOrders(symbol));
  if (open) {
    const mine = open.find((o) => o.id === placed.id);
    check('fetchOpenOrders', mine !== undefined || (fetched && fetched.status === 'closed'),
      `${open.length} open, ours ${mine ? 'listed' : 'not listed'}`);
  }
  const canceled = await step('cancelOrder', () => e.cancelOrder(placed.id, symbol));
  if (canceled) {
    let after;
    for (let i = 0; i < 20; i += 1) {
      after = await step('fetchOrder after cancel', () => e.fetchOrder(placed.id, symbol, fetchParams));
      if (!after || after.status !== 'open') break;
      await sleep(100);
    }
    // Canceled -- or closed with a fill: the market moved onto it before the cancel (in full, or
    // in part: ccxt reads Bybit's PartiallyFilledCanceled as closed).
    if (after) {
      check('cancelOrder', after.status === 'canceled' || (after.status === 'closed' && after.filled > 0),
        `status ${after.status}, filled ${after.filled}`);
    }
  }

  // A market sell: it fills at once against the bids.
  const sold = await step('createOrder market', () => e.createOrder(symbol, 'market', 'sell', amount));
  if (!sold) return;
  check('createOrder market', typeof sold.id === 'string' && sold.id.length > 0, `id ${sold.id}`);
  let trades = [];
  for (let i = 0; i < 20 && trades.length === 0; i += 1) {
    if (e.has.fetchMyTrades) {
      const all = await step('fetchMyTrades', () => e.fetchMyTrades(symbol));
      if (all === undefined) break;
      trades = all.filter((t) => t.order === sold.id);
    } else {
      const o = await step('fetchOrder market', () => e.fetchOrder(sold.id, symbol));
      if (o === undefined) break;
      trades = o.status === 'closed' && o.filled === amount ? (o.trades && o.trades.length ? o.trades : [o]) : [];
    }
    if (trades.length === 0) await sleep(100);
  }
  const filled = trades.reduce((s, t) => s + (t.amount !== undefined ? t.amount : t.filled), 0);
  check(e.has.fetchMyTrades ? 'fetchMyTrades' : 'fetchOrder market',
    trades.length > 0 && Math.abs(filled - amount) < 1e-12 && trades.every((t) => t.side === 'sell'),
    `${trades.length} fills of the market sell, ${filled} of ${amount}`);
})()
  .catch((err) => report(false, 'client', String(err)))
  .finally(() => {
    console.log(`${failed === 0 ? 'done' : 'failed'} ${venue}`);
    process.exitCode = failed === 0 ? 0 : 1;
  });
