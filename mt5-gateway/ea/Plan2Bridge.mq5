//+------------------------------------------------------------------+
//|                                                  Plan2Bridge.mq5 |
//|            Plan2 MT5 bridge: ticks out, orders in (PROTOCOL.md)   |
//+------------------------------------------------------------------+
//
// WHAT IT DOES
//   Connects OUT to the Plan2 mt5-gateway (TCP, newline-delimited JSON, see
//   mt5-gateway/PROTOCOL.md) and
//   - sends hello (account/terminal identity, server-time offset, token) and
//     the specs of every subscribed symbol;
//   - streams EVERY tick of EVERY subscribed symbol: a millisecond timer calls
//     CopyTicks for each symbol from the last time_msc it sent (OnTick fires
//     only for the chart symbol and skips ticks while the EA is busy, so it is
//     not used for data); after a reconnect it resends from the gateway's
//     backfill point with CopyTicksRange;
//   - forwards every OnTradeTransaction, and account/positions/orders
//     snapshots (every InpSnapshotSec and after each trade event);
//   - executes order/modify/close/close_partial/cancel: OrderCheck first,
//     volume rounded to the step, prices to digits, filling mode from
//     SYMBOL_FILLING_MODE (one fallback on 10030), `position` set on closes,
//     comment "p2:<id>", magic per strategy; replies order_result with
//     retcode and retcode_external; never executes an id twice (journal file
//     + comment scan of positions, orders and history);
//   - reconnects with exponential backoff (1 s … 60 s, jittered) and keeps a
//     bounded outbound buffer: above half full it stops reading ticks (the
//     terminal's tick history is the queue), overflow drops the connection.
//
// SETUP (the terminal only lets programs connect to addresses you allow)
//   1. Tools → Options → Expert Advisors: tick "Allow algorithmic trading" and
//      "Allow WebRequest for listed URL", then add the gateway's address to the
//      list, for example 127.0.0.1 or gateway.example.com (the host only; the
//      port is InpPort). Without it SocketConnect fails with error 4014.
//   2. Create a token:  plan2 mt5 token create --tenant <your tenant id>
//      (optionally --login <account> --server <server> to bind it).
//   3. Attach Plan2Bridge to any ONE chart per account, set InpHost, InpPort,
//      InpToken; leave InpSymbols empty to stream every Market Watch symbol.
//      One terminal per account: a second one takes the session over and this
//      EA then stops reconnecting (SESSION_REPLACED) and alerts you.
//
// VERIFICATION
//   This file cannot be compiled in the Plan2 repository (no MetaEditor). The
//   functions and structures it uses were checked one by one against the MQL5
//   reference (mql5.com/en/docs): SocketCreate, SocketConnect, SocketIsConnected,
//   SocketIsReadable, SocketIsWritable, SocketRead, SocketSend, SocketTimeouts,
//   SocketClose; CopyTicks, CopyTicksRange, MqlTick (time_msc, flags);
//   EventSetMillisecondTimer; OnTradeTransaction with MqlTradeTransaction,
//   MqlTradeRequest, MqlTradeResult (retcode_external); OrderCheck with
//   MqlTradeCheckResult; OrderSend; SYMBOL_FILLING_MODE flags (SYMBOL_FILLING_FOK
//   = 1, SYMBOL_FILLING_IOC = 2) and ORDER_FILLING_FOK/IOC/RETURN;
//   SymbolInfoSessionQuote/Trade; HistorySelect and the History*Get* functions;
//   TimeTradeServer, TimeGMT; StringToCharArray/CharArrayToString with CP_UTF8
//   (StringToCharArray copies the terminating zero, which is not sent).
//   Compile it in MetaEditor (F7) before use and run it on a demo account first.
//+------------------------------------------------------------------+
#property copyright   "Plan2"
#property version     "1.00"
#property description "Streams every tick of every subscribed symbol to the Plan2 MT5 gateway and executes its orders."
#property description "Add the gateway host to Tools > Options > Expert Advisors > Allow WebRequest for listed URL."

//--- inputs
input string InpHost          = "127.0.0.1"; // Gateway host (must be in the allowed list)
input uint   InpPort          = 8001;        // Gateway port (MT5_PORT)
input string InpToken         = "";          // Terminal token (plan2 mt5 token create)
input string InpSymbols       = "";          // Symbols, comma-separated; empty = all in Market Watch
input int    InpTimerMs       = 20;          // Tick pump period, ms
input int    InpSnapshotSec   = 5;           // Account/positions/orders snapshot period, s
input int    InpMaxQueueKB    = 4096;        // Outbound buffer bound, KiB
input bool   InpAllowTrading  = true;        // Execute orders from the gateway
input int    InpHistoryDays   = 7;           // Days of history scanned for already-executed ids
input int    InpTicksPerPump  = 5000;        // Max ticks read per symbol per timer event

//--- protocol constants
#define PROTOCOL_VERSION   1
#define EA_VERSION         "1.00"
#define MAX_LINE_BYTES     65536
#define PART_BYTES         48000
#define COMMENT_PREFIX     "p2:"

//+------------------------------------------------------------------+
//| Minimal JSON reader for gateway messages                          |
//+------------------------------------------------------------------+
enum ENUM_JTYPE { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

class CJson
  {
public:
   ENUM_JTYPE        type;
   string            str;
   double            num;
   bool              bval;
   string            keys[];
   CJson            *items[];

                     CJson(void) { type = J_NULL; num = 0; bval = false; str = ""; }
                    ~CJson(void)
     {
      for(int i = 0; i < ArraySize(items); i++)
         if(CheckPointer(items[i]) == POINTER_DYNAMIC)
            delete items[i];
     }
   int               Size(void) { return ArraySize(items); }
   CJson            *At(int i) { return (i >= 0 && i < ArraySize(items)) ? items[i] : NULL; }
   CJson            *Get(const string key)
     {
      for(int i = 0; i < ArraySize(keys); i++)
         if(keys[i] == key)
            return items[i];
      return NULL;
     }
   bool              Has(const string key) { CJson *v = Get(key); return v != NULL && v.type != J_NULL; }
   string            Str(const string key, const string def = "")
     {
      CJson *v = Get(key);
      if(v == NULL) return def;
      if(v.type == J_STR) return v.str;
      if(v.type == J_NUM) return DoubleToString(v.num, (MathAbs(v.num - MathRound(v.num)) < 1e-12) ? 0 : 8);
      return def;
     }
   double            Num(const string key, const double def = 0.0)
     {
      CJson *v = Get(key);
      if(v == NULL) return def;
      if(v.type == J_NUM) return v.num;
      if(v.type == J_STR) return StringToDouble(v.str);
      return def;
     }
   long              Long(const string key, const long def = 0)
     {
      CJson *v = Get(key);
      if(v == NULL) return def;
      if(v.type == J_STR) return StringToInteger(v.str);   // tickets travel as strings
      if(v.type == J_NUM) return (long)MathRound(v.num);
      return def;
     }
   bool              Bool(const string key, const bool def = false)
     {
      CJson *v = Get(key);
      if(v == NULL || v.type != J_BOOL) return def;
      return v.bval;
     }
   void              Add(const string key, CJson *v)
     {
      int n = ArraySize(items);
      ArrayResize(items, n + 1);
      ArrayResize(keys, n + 1);
      items[n] = v;
      keys[n] = key;
     }
  };

class CJsonParser
  {
private:
   string            m_s;
   int               m_pos;
   int               m_len;

   ushort            Peek(void) { return m_pos < m_len ? StringGetCharacter(m_s, m_pos) : 0; }
   void              Ws(void)
     {
      while(m_pos < m_len)
        {
         ushort c = StringGetCharacter(m_s, m_pos);
         if(c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
         m_pos++;
        }
     }
   bool              Lit(const string w)
     {
      if(StringSubstr(m_s, m_pos, StringLen(w)) != w) return false;
      m_pos += StringLen(w);
      return true;
     }
   bool              ParseString(string &out)
     {
      if(Peek() != '"') return false;
      m_pos++;
      out = "";
      int runStart = m_pos;
      while(m_pos < m_len)
        {
         ushort c = StringGetCharacter(m_s, m_pos);
         if(c == '"')
           {
            out += StringSubstr(m_s, runStart, m_pos - runStart);
            m_pos++;
            return true;
           }
         if(c == '\\')
           {
            out += StringSubstr(m_s, runStart, m_pos - runStart);
            m_pos++;
            if(m_pos >= m_len) return false;
            ushort e = StringGetCharacter(m_s, m_pos);
            if(e == 'n') out += "\n";
            else if(e == 't') out += "\t";
            else if(e == 'r') out += "\r";
            else if(e == 'b') out += ShortToString(8);
            else if(e == 'f') out += ShortToString(12);
            else if(e == 'u')
              {
               if(m_pos + 4 >= m_len) return false;
               ushort code = (ushort)StringToInteger("0x" + StringSubstr(m_s, m_pos + 1, 4));
               out += ShortToString(code);
               m_pos += 4;
              }
            else out += ShortToString(e);   // \" \\ \/
            m_pos++;
            runStart = m_pos;
            continue;
           }
         m_pos++;
        }
      return false;
     }
   bool              ParseValue(CJson *v)
     {
      Ws();
      ushort c = Peek();
      if(c == '{')
        {
         v.type = J_OBJ;
         m_pos++;
         Ws();
         if(Peek() == '}') { m_pos++; return true; }
         while(true)
           {
            Ws();
            string key;
            if(!ParseString(key)) return false;
            Ws();
            if(Peek() != ':') return false;
            m_pos++;
            CJson *child = new CJson();
            v.Add(key, child);
            if(!ParseValue(child)) return false;
            Ws();
            if(Peek() == ',') { m_pos++; continue; }
            if(Peek() == '}') { m_pos++; return true; }
            return false;
           }
        }
      if(c == '[')
        {
         v.type = J_ARR;
         m_pos++;
         Ws();
         if(Peek() == ']') { m_pos++; return true; }
         while(true)
           {
            CJson *child = new CJson();
            v.Add("", child);
            if(!ParseValue(child)) return false;
            Ws();
            if(Peek() == ',') { m_pos++; continue; }
            if(Peek() == ']') { m_pos++; return true; }
            return false;
           }
        }
      if(c == '"') { v.type = J_STR; return ParseString(v.str); }
      if(Lit("true")) { v.type = J_BOOL; v.bval = true; return true; }
      if(Lit("false")) { v.type = J_BOOL; v.bval = false; return true; }
      if(Lit("null")) { v.type = J_NULL; return true; }
      int start = m_pos;
      while(m_pos < m_len)
        {
         ushort d = StringGetCharacter(m_s, m_pos);
         if((d >= '0' && d <= '9') || d == '-' || d == '+' || d == '.' || d == 'e' || d == 'E') m_pos++;
         else break;
        }
      if(m_pos == start) return false;
      v.type = J_NUM;
      v.num = StringToDouble(StringSubstr(m_s, start, m_pos - start));
      return true;
     }
public:
   CJson            *Parse(const string text)
     {
      m_s = text;
      m_pos = 0;
      m_len = StringLen(text);
      CJson *root = new CJson();
      if(!ParseValue(root) || root.type != J_OBJ)
        {
         delete root;
         return NULL;
        }
      return root;
     }
  };

//+------------------------------------------------------------------+
//| State                                                            |
//+------------------------------------------------------------------+
int      g_sock = INVALID_HANDLE;
int      g_state = 0;                 // 0 disconnected, 1 hello sent, 2 welcomed
bool     g_stopped = false;           // a fatal error that needs a person
ulong    g_nextConnectAt = 0;
uint     g_backoffMs = 1000;
ulong    g_lastRecvAt = 0;
uint     g_heartbeatMs = 10000;
long     g_seq = 0;
long     g_offsetSec = 0;
ulong    g_lastOffsetCheck = 0;
bool     g_terminalConnected = false;
ulong    g_lastSnapshotAt = 0;
long     g_snapshotSeq = 0;
bool     g_snapshotDirty = false;

uchar    g_out[];                      // outbound bytes, [g_outHead, g_outLen)
int      g_outHead = 0;
int      g_outLen = 0;
uchar    g_in[];                       // inbound bytes not yet split into lines
int      g_inLen = 0;

// per subscribed symbol
string   g_sym[];
string   g_symQ[];                     // JSON-quoted name, cached
int      g_digits[];
long     g_cursor[];                   // next time_msc to read from (server clock)
int      g_sameMs[];                   // ticks already sent at g_cursor
bool     g_started[];                  // starting point known (welcome or backfill)

// journal of executed ids
string   g_jId[];
string   g_jState[];                   // "sending" or the order_result JSON
string   g_journalFile = "";

CJsonParser g_parser;

//+------------------------------------------------------------------+
//| Small helpers                                                    |
//+------------------------------------------------------------------+
string Q(const string s)
  {
   int n = StringLen(s);
   bool plain = true;
   for(int i = 0; i < n && plain; i++)
     {
      ushort c = StringGetCharacter(s, i);
      if(c == '"' || c == '\\' || c < 32) plain = false;
     }
   if(plain) return "\"" + s + "\"";
   string out = "\"";
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(s, i);
      if(c == '"') out += "\\\"";
      else if(c == '\\') out += "\\\\";
      else if(c == '\n') out += "\\n";
      else if(c == '\r') out += "\\r";
      else if(c == '\t') out += "\\t";
      else if(c < 32) out += StringFormat("\\u%04x", c);
      else out += ShortToString(c);
     }
   return out + "\"";
  }

//--- a JSON number; never NaN/Inf (JSON has none)
string N(const double v, const int digits = 8)
  {
   if(!MathIsValidNumber(v)) return "0";
   string s = DoubleToString(v, digits);
   if(StringFind(s, ".") >= 0)
     {
      int n = StringLen(s);
      while(n > 0 && StringGetCharacter(s, n - 1) == '0') n--;
      if(n > 0 && StringGetCharacter(s, n - 1) == '.') n--;
      s = StringSubstr(s, 0, n);
     }
   if(s == "-0" || s == "") s = "0";
   return s;
  }

string T(const ulong ticket) { return "\"" + (string)ticket + "\""; }   // tickets travel as strings
string B(const bool b) { return b ? "true" : "false"; }

//--- MQL5 enum identifier → protocol value: lower-cased, prefix removed
string EnumName(const string full, const string prefix)
  {
   string s = full;
   if(StringFind(s, prefix) == 0) s = StringSubstr(s, StringLen(prefix));
   StringToLower(s);
   return s;
  }

long ServerOffsetSec(void)
  {
   long diff = (long)(TimeTradeServer() - TimeGMT());
   return (long)MathRound((double)diff / 900.0) * 900;
  }

long NowGmtMs(void) { return (long)TimeGMT() * 1000; }

//+------------------------------------------------------------------+
//| Outbound buffer (bounded)                                        |
//+------------------------------------------------------------------+
int QueuedBytes(void) { return g_outLen - g_outHead; }

bool Enqueue(const string line)
  {
   uchar tmp[];
   int n = StringToCharArray(line + "\n", tmp, 0, WHOLE_ARRAY, CP_UTF8);
   if(n > 0 && tmp[n - 1] == 0) n--;                  // the terminating zero is not sent
   if(n <= 0) return true;
   if(QueuedBytes() + n > InpMaxQueueKB * 1024)
     {
      Print("Plan2Bridge: outbound buffer full (", QueuedBytes(), " bytes); reconnecting to resynchronise");
      Disconnect(true);
      return false;
     }
   if(g_outHead > 0 && g_outHead >= g_outLen / 2)
     {
      int live = g_outLen - g_outHead;
      if(live > 0) ArrayCopy(g_out, g_out, 0, g_outHead, live);
      g_outLen = live;
      g_outHead = 0;
     }
   if(ArraySize(g_out) < g_outLen + n) ArrayResize(g_out, g_outLen + n, 65536);
   ArrayCopy(g_out, tmp, g_outLen, 0, n);
   g_outLen += n;
   return true;
  }

//--- write as much as the socket takes now; never blocks long (send timeout is short)
void Flush(void)
  {
   while(g_sock != INVALID_HANDLE && QueuedBytes() > 0)
     {
      if(!SocketIsWritable(g_sock)) return;
      int chunk = MathMin(QueuedBytes(), 16384);
      uchar part[];
      ArrayResize(part, chunk);
      ArrayCopy(part, g_out, 0, g_outHead, chunk);
      int sent = SocketSend(g_sock, part, (uint)chunk);
      if(sent <= 0)
        {
         if(!SocketIsConnected(g_sock)) Disconnect(true);
         return;
        }
      g_outHead += sent;
      if(g_outHead == g_outLen) { g_outHead = 0; g_outLen = 0; }
      if(sent < chunk) return;
     }
  }

//+------------------------------------------------------------------+
//| Connection                                                       |
//+------------------------------------------------------------------+
void Disconnect(const bool retry)
  {
   if(g_sock != INVALID_HANDLE)
     {
      SocketClose(g_sock);
      g_sock = INVALID_HANDLE;
     }
   g_state = 0;
   g_outHead = 0;
   g_outLen = 0;
   g_inLen = 0;
   if(!retry)
     {
      g_stopped = true;
      return;
     }
   uint jitter = (uint)(g_backoffMs * 0.2 * MathRand() / 32767.0);
   g_nextConnectAt = GetTickCount64() + g_backoffMs + jitter;
   Print("Plan2Bridge: disconnected; reconnecting in ", g_backoffMs + jitter, " ms");
   g_backoffMs = MathMin(g_backoffMs * 2, 60000);
  }

void Connect(void)
  {
   if(g_stopped || g_sock != INVALID_HANDLE || GetTickCount64() < g_nextConnectAt) return;
   g_sock = SocketCreate();
   if(g_sock == INVALID_HANDLE)
     {
      Print("Plan2Bridge: SocketCreate failed, error ", GetLastError());
      Disconnect(true);
      return;
     }
   if(!SocketConnect(g_sock, InpHost, InpPort, 3000))
     {
      int err = GetLastError();
      Print("Plan2Bridge: cannot connect to ", InpHost, ":", InpPort, ", error ", err,
            (err == 4014 ? " (add the host to Tools > Options > Expert Advisors > allowed URLs)" : ""));
      SocketClose(g_sock);
      g_sock = INVALID_HANDLE;
      Disconnect(true);
      return;
     }
   SocketTimeouts(g_sock, 50, 1);
   g_state = 1;
   g_seq = 0;
   g_lastRecvAt = GetTickCount64();
   for(int i = 0; i < ArraySize(g_sym); i++) g_started[i] = false;
   g_offsetSec = ServerOffsetSec();
   g_terminalConnected = (bool)TerminalInfoInteger(TERMINAL_CONNECTED);
   SendHello();
   SendSymbols();
   SendAccount();
   SendPositions();
   SendOrders();
   Flush();
   Print("Plan2Bridge: connected to ", InpHost, ":", InpPort, ", ", ArraySize(g_sym), " symbols");
  }

void SendHello(void)
  {
   long mm = AccountInfoInteger(ACCOUNT_MARGIN_MODE);
   string margin = (mm == ACCOUNT_MARGIN_MODE_RETAIL_HEDGING) ? "hedging" : (mm == ACCOUNT_MARGIN_MODE_EXCHANGE ? "exchange" : "netting");
   long tm = AccountInfoInteger(ACCOUNT_TRADE_MODE);
   string mode = (tm == ACCOUNT_TRADE_MODE_DEMO) ? "demo" : (tm == ACCOUNT_TRADE_MODE_CONTEST ? "contest" : "real");
   bool allowed = (bool)TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) && (bool)AccountInfoInteger(ACCOUNT_TRADE_EXPERT) && (bool)MQLInfoInteger(MQL_TRADE_ALLOWED);
   Enqueue("{\"type\":\"hello\",\"protocol\":" + IntegerToString(PROTOCOL_VERSION) +
           ",\"token\":" + Q(InpToken) +
           ",\"login\":\"" + IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)) + "\"" +
           ",\"server\":" + Q(AccountInfoString(ACCOUNT_SERVER)) +
           ",\"server_offset_sec\":" + IntegerToString(g_offsetSec) +
           ",\"ea\":\"Plan2Bridge\",\"version\":\"" + EA_VERSION + "\"" +
           ",\"build\":" + IntegerToString(TerminalInfoInteger(TERMINAL_BUILD)) +
           ",\"company\":" + Q(AccountInfoString(ACCOUNT_COMPANY)) +
           ",\"name\":" + Q(AccountInfoString(ACCOUNT_NAME)) +
           ",\"currency\":" + Q(AccountInfoString(ACCOUNT_CURRENCY)) +
           ",\"leverage\":" + IntegerToString(AccountInfoInteger(ACCOUNT_LEVERAGE)) +
           ",\"margin_mode\":\"" + margin + "\",\"trade_mode\":\"" + mode + "\"" +
           ",\"trade_allowed\":" + B(allowed) +
           ",\"connected\":" + B(g_terminalConnected) + "}");
  }

//--- seven days of [from_sec, to_sec] pairs, Sunday first
string Sessions(const string sym, const bool trade)
  {
   string days = "[";
   for(int d = 0; d < 7; d++)
     {
      string list = "[";
      datetime from, to;
      for(uint i = 0; i < 10; i++)
        {
         bool ok = trade ? SymbolInfoSessionTrade(sym, (ENUM_DAY_OF_WEEK)d, i, from, to)
                         : SymbolInfoSessionQuote(sym, (ENUM_DAY_OF_WEEK)d, i, from, to);
         if(!ok) break;
         list += (i > 0 ? "," : "") + "[" + IntegerToString((long)from % 86400) + "," + IntegerToString(((long)to % 86400 == 0 && (long)to > 0) ? 86400 : (long)to % 86400) + "]";
        }
      days += (d > 0 ? "," : "") + list + "]";
     }
   return days + "]";
  }

string SymbolSpecJson(const string sym)
  {
   int digits = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
   return "{\"name\":" + Q(sym) +
          ",\"digits\":" + IntegerToString(digits) +
          ",\"point\":" + N(SymbolInfoDouble(sym, SYMBOL_POINT), 10) +
          ",\"trade_tick_size\":" + N(SymbolInfoDouble(sym, SYMBOL_TRADE_TICK_SIZE), 10) +
          ",\"trade_tick_value\":" + N(SymbolInfoDouble(sym, SYMBOL_TRADE_TICK_VALUE), 8) +
          ",\"trade_contract_size\":" + N(SymbolInfoDouble(sym, SYMBOL_TRADE_CONTRACT_SIZE), 4) +
          ",\"volume_min\":" + N(SymbolInfoDouble(sym, SYMBOL_VOLUME_MIN)) +
          ",\"volume_max\":" + N(SymbolInfoDouble(sym, SYMBOL_VOLUME_MAX)) +
          ",\"volume_step\":" + N(SymbolInfoDouble(sym, SYMBOL_VOLUME_STEP)) +
          ",\"trade_stops_level\":" + IntegerToString(SymbolInfoInteger(sym, SYMBOL_TRADE_STOPS_LEVEL)) +
          ",\"trade_freeze_level\":" + IntegerToString(SymbolInfoInteger(sym, SYMBOL_TRADE_FREEZE_LEVEL)) +
          ",\"filling_mode\":" + IntegerToString(SymbolInfoInteger(sym, SYMBOL_FILLING_MODE)) +
          ",\"trade_mode\":\"" + EnumName(EnumToString((ENUM_SYMBOL_TRADE_MODE)SymbolInfoInteger(sym, SYMBOL_TRADE_MODE)), "SYMBOL_TRADE_MODE_") + "\"" +
          ",\"trade_exemode\":\"" + EnumName(EnumToString((ENUM_SYMBOL_TRADE_EXECUTION)SymbolInfoInteger(sym, SYMBOL_TRADE_EXEMODE)), "SYMBOL_TRADE_EXECUTION_") + "\"" +
          ",\"currency_base\":" + Q(SymbolInfoString(sym, SYMBOL_CURRENCY_BASE)) +
          ",\"currency_profit\":" + Q(SymbolInfoString(sym, SYMBOL_CURRENCY_PROFIT)) +
          ",\"currency_margin\":" + Q(SymbolInfoString(sym, SYMBOL_CURRENCY_MARGIN)) +
          ",\"description\":" + Q(SymbolInfoString(sym, SYMBOL_DESCRIPTION)) +
          ",\"path\":" + Q(SymbolInfoString(sym, SYMBOL_PATH)) +
          ",\"sessions_quote\":" + Sessions(sym, false) +
          ",\"sessions_trade\":" + Sessions(sym, true) + "}";
  }

//--- specs in messages under the line limit; each gets a backfill answer
void SendSymbols(void)
  {
   string body = "";
   for(int i = 0; i < ArraySize(g_sym); i++)
     {
      string spec = SymbolSpecJson(g_sym[i]);
      if(body != "" && StringLen(body) + StringLen(spec) > PART_BYTES)
        {
         Enqueue("{\"type\":\"symbols\",\"symbols\":[" + body + "]}");
         body = "";
        }
      body += (body == "" ? "" : ",") + spec;
     }
   if(body != "") Enqueue("{\"type\":\"symbols\",\"symbols\":[" + body + "]}");
  }

//+------------------------------------------------------------------+
//| Snapshots                                                        |
//+------------------------------------------------------------------+
void SendAccount(void)
  {
   Enqueue("{\"type\":\"account\",\"balance\":" + N(AccountInfoDouble(ACCOUNT_BALANCE), 2) +
           ",\"equity\":" + N(AccountInfoDouble(ACCOUNT_EQUITY), 2) +
           ",\"margin\":" + N(AccountInfoDouble(ACCOUNT_MARGIN), 2) +
           ",\"margin_free\":" + N(AccountInfoDouble(ACCOUNT_MARGIN_FREE), 2) +
           ",\"margin_level\":" + N(AccountInfoDouble(ACCOUNT_MARGIN_LEVEL), 2) +
           ",\"profit\":" + N(AccountInfoDouble(ACCOUNT_PROFIT), 2) +
           ",\"credit\":" + N(AccountInfoDouble(ACCOUNT_CREDIT), 2) +
           ",\"currency\":" + Q(AccountInfoString(ACCOUNT_CURRENCY)) +
           ",\"leverage\":" + IntegerToString(AccountInfoInteger(ACCOUNT_LEVERAGE)) +
           ",\"time_msc\":" + IntegerToString((long)TimeTradeServer() * 1000) + "}");
  }

//--- emit items of one snapshot, split into parts under the line limit
void SendParts(const string type, const string field, string &items[], const string extra)
  {
   int total = ArraySize(items);
   string parts[];
   string cur = "";
   for(int i = 0; i < total; i++)
     {
      if(cur != "" && StringLen(cur) + StringLen(items[i]) > PART_BYTES)
        {
         int k = ArraySize(parts);
         ArrayResize(parts, k + 1);
         parts[k] = cur;
         cur = "";
        }
      cur += (cur == "" ? "" : ",") + items[i];
     }
   int k = ArraySize(parts);
   ArrayResize(parts, k + 1);
   parts[k] = cur;
   int n = ArraySize(parts);
   g_snapshotSeq++;
   string sid = IntegerToString(g_snapshotSeq);
   for(int p = 0; p < n; p++)
     {
      string split = (n > 1) ? ",\"snapshot\":\"" + sid + "\",\"part\":" + IntegerToString(p + 1) + ",\"parts\":" + IntegerToString(n) : "";
      Enqueue("{\"type\":\"" + type + "\",\"" + field + "\":[" + parts[p] + "]" + extra + split + "}");
     }
  }

void SendPositions(void)
  {
   string items[];
   int total = PositionsTotal();
   ArrayResize(items, total);
   int k = 0;
   for(int i = 0; i < total; i++)
     {
      ulong ticket = PositionGetTicket(i);
      if(ticket == 0) continue;
      string sym = PositionGetString(POSITION_SYMBOL);
      int d = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
      items[k++] = "{\"ticket\":" + T(ticket) +
                   ",\"identifier\":" + T((ulong)PositionGetInteger(POSITION_IDENTIFIER)) +
                   ",\"symbol\":" + Q(sym) +
                   ",\"type\":\"" + (PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY ? "buy" : "sell") + "\"" +
                   ",\"volume\":" + N(PositionGetDouble(POSITION_VOLUME)) +
                   ",\"price_open\":" + N(PositionGetDouble(POSITION_PRICE_OPEN), d) +
                   ",\"price_current\":" + N(PositionGetDouble(POSITION_PRICE_CURRENT), d) +
                   ",\"sl\":" + N(PositionGetDouble(POSITION_SL), d) +
                   ",\"tp\":" + N(PositionGetDouble(POSITION_TP), d) +
                   ",\"profit\":" + N(PositionGetDouble(POSITION_PROFIT), 2) +
                   ",\"swap\":" + N(PositionGetDouble(POSITION_SWAP), 2) +
                   ",\"magic\":" + IntegerToString(PositionGetInteger(POSITION_MAGIC)) +
                   ",\"comment\":" + Q(PositionGetString(POSITION_COMMENT)) +
                   ",\"time_msc\":" + IntegerToString(PositionGetInteger(POSITION_TIME_MSC)) +
                   ",\"time_update_msc\":" + IntegerToString(PositionGetInteger(POSITION_TIME_UPDATE_MSC)) + "}";
     }
   ArrayResize(items, k);
   SendParts("positions", "positions", items, ",\"time_msc\":" + IntegerToString((long)TimeTradeServer() * 1000));
  }

string OrderItemJson(const ulong ticket, const bool history)
  {
   string sym = history ? HistoryOrderGetString(ticket, ORDER_SYMBOL) : OrderGetString(ORDER_SYMBOL);
   int d = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
   long type = history ? HistoryOrderGetInteger(ticket, ORDER_TYPE) : OrderGetInteger(ORDER_TYPE);
   long state = history ? HistoryOrderGetInteger(ticket, ORDER_STATE) : OrderGetInteger(ORDER_STATE);
   long filling = history ? HistoryOrderGetInteger(ticket, ORDER_TYPE_FILLING) : OrderGetInteger(ORDER_TYPE_FILLING);
   long ttime = history ? HistoryOrderGetInteger(ticket, ORDER_TYPE_TIME) : OrderGetInteger(ORDER_TYPE_TIME);
   string s = "{\"ticket\":" + T(ticket) +
              ",\"symbol\":" + Q(sym) +
              ",\"type\":\"" + EnumName(EnumToString((ENUM_ORDER_TYPE)type), "ORDER_TYPE_") + "\"" +
              ",\"state\":\"" + EnumName(EnumToString((ENUM_ORDER_STATE)state), "ORDER_STATE_") + "\"" +
              ",\"volume_initial\":" + N(history ? HistoryOrderGetDouble(ticket, ORDER_VOLUME_INITIAL) : OrderGetDouble(ORDER_VOLUME_INITIAL)) +
              ",\"volume_current\":" + N(history ? HistoryOrderGetDouble(ticket, ORDER_VOLUME_CURRENT) : OrderGetDouble(ORDER_VOLUME_CURRENT)) +
              ",\"price_open\":" + N(history ? HistoryOrderGetDouble(ticket, ORDER_PRICE_OPEN) : OrderGetDouble(ORDER_PRICE_OPEN), d) +
              ",\"price_stoplimit\":" + N(history ? HistoryOrderGetDouble(ticket, ORDER_PRICE_STOPLIMIT) : OrderGetDouble(ORDER_PRICE_STOPLIMIT), d) +
              ",\"sl\":" + N(history ? HistoryOrderGetDouble(ticket, ORDER_SL) : OrderGetDouble(ORDER_SL), d) +
              ",\"tp\":" + N(history ? HistoryOrderGetDouble(ticket, ORDER_TP) : OrderGetDouble(ORDER_TP), d) +
              ",\"magic\":" + IntegerToString(history ? HistoryOrderGetInteger(ticket, ORDER_MAGIC) : OrderGetInteger(ORDER_MAGIC)) +
              ",\"comment\":" + Q(history ? HistoryOrderGetString(ticket, ORDER_COMMENT) : OrderGetString(ORDER_COMMENT)) +
              ",\"type_filling\":\"" + EnumName(EnumToString((ENUM_ORDER_TYPE_FILLING)filling), "ORDER_FILLING_") + "\"" +
              ",\"type_time\":\"" + EnumName(EnumToString((ENUM_ORDER_TYPE_TIME)ttime), "ORDER_TIME_") + "\"" +
              ",\"time_setup_msc\":" + IntegerToString(history ? HistoryOrderGetInteger(ticket, ORDER_TIME_SETUP_MSC) : OrderGetInteger(ORDER_TIME_SETUP_MSC)) +
              ",\"position_id\":" + T((ulong)(history ? HistoryOrderGetInteger(ticket, ORDER_POSITION_ID) : OrderGetInteger(ORDER_POSITION_ID)));
   if(history) s += ",\"time_done_msc\":" + IntegerToString(HistoryOrderGetInteger(ticket, ORDER_TIME_DONE_MSC));
   return s + "}";
  }

void SendOrders(void)
  {
   string items[];
   int total = OrdersTotal();
   ArrayResize(items, total);
   int k = 0;
   for(int i = 0; i < total; i++)
     {
      ulong ticket = OrderGetTicket(i);
      if(ticket == 0) continue;
      items[k++] = OrderItemJson(ticket, false);
     }
   ArrayResize(items, k);
   SendParts("orders", "orders", items, ",\"time_msc\":" + IntegerToString((long)TimeTradeServer() * 1000));
  }

void SendHistory(const string requestId, const long fromMsc, const long toMsc)
  {
   if(!HistorySelect((datetime)(fromMsc / 1000), (datetime)(toMsc / 1000 + 1))) return;
   string deals[];
   int nd = HistoryDealsTotal();
   ArrayResize(deals, nd);
   for(int i = 0; i < nd; i++)
     {
      ulong t = HistoryDealGetTicket(i);
      string sym = HistoryDealGetString(t, DEAL_SYMBOL);
      int d = (int)SymbolInfoInteger(sym, SYMBOL_DIGITS);
      deals[i] = "{\"ticket\":" + T(t) +
                 ",\"order\":" + T((ulong)HistoryDealGetInteger(t, DEAL_ORDER)) +
                 ",\"position_id\":" + T((ulong)HistoryDealGetInteger(t, DEAL_POSITION_ID)) +
                 ",\"symbol\":" + Q(sym) +
                 ",\"type\":\"" + EnumName(EnumToString((ENUM_DEAL_TYPE)HistoryDealGetInteger(t, DEAL_TYPE)), "DEAL_TYPE_") + "\"" +
                 ",\"entry\":\"" + EnumName(EnumToString((ENUM_DEAL_ENTRY)HistoryDealGetInteger(t, DEAL_ENTRY)), "DEAL_ENTRY_") + "\"" +
                 ",\"volume\":" + N(HistoryDealGetDouble(t, DEAL_VOLUME)) +
                 ",\"price\":" + N(HistoryDealGetDouble(t, DEAL_PRICE), d) +
                 ",\"profit\":" + N(HistoryDealGetDouble(t, DEAL_PROFIT), 2) +
                 ",\"swap\":" + N(HistoryDealGetDouble(t, DEAL_SWAP), 2) +
                 ",\"commission\":" + N(HistoryDealGetDouble(t, DEAL_COMMISSION), 2) +
                 ",\"fee\":" + N(HistoryDealGetDouble(t, DEAL_FEE), 2) +
                 ",\"magic\":" + IntegerToString(HistoryDealGetInteger(t, DEAL_MAGIC)) +
                 ",\"comment\":" + Q(HistoryDealGetString(t, DEAL_COMMENT)) +
                 ",\"reason\":\"" + EnumName(EnumToString((ENUM_DEAL_REASON)HistoryDealGetInteger(t, DEAL_REASON)), "DEAL_REASON_") + "\"" +
                 ",\"time_msc\":" + IntegerToString(HistoryDealGetInteger(t, DEAL_TIME_MSC)) + "}";
     }
   string orders[];
   int no = HistoryOrdersTotal();
   ArrayResize(orders, no);
   for(int i = 0; i < no; i++) orders[i] = OrderItemJson(HistoryOrderGetTicket(i), true);
   string extra = ",\"request_id\":" + Q(requestId) + ",\"from_msc\":" + IntegerToString(fromMsc) + ",\"to_msc\":" + IntegerToString(toMsc);
   // deals and orders go as two history messages answering the same request id (each split when large)
   SendParts("history", "deals", deals, extra + ",\"orders\":[]");
   if(no > 0) SendParts("history", "orders", orders, extra + ",\"deals\":[]");
  }

void SendStatus(const string reason)
  {
   Enqueue("{\"type\":\"status\",\"connected\":" + B(g_terminalConnected) +
           ",\"trade_allowed\":" + B((bool)TerminalInfoInteger(TERMINAL_TRADE_ALLOWED)) +
           ",\"server_offset_sec\":" + IntegerToString(g_offsetSec) +
           ",\"ping_last\":" + IntegerToString(TerminalInfoInteger(TERMINAL_PING_LAST)) +
           ",\"reason\":" + Q(reason) + "}");
  }

//+------------------------------------------------------------------+
//| Ticks                                                            |
//+------------------------------------------------------------------+
string TickJson(const int i, const MqlTick &t)
  {
   g_seq++;
   string s = "{\"type\":\"tick\",\"seq\":" + IntegerToString(g_seq) +
              ",\"symbol\":" + g_symQ[i] +
              ",\"time_msc\":" + IntegerToString(t.time_msc) +
              ",\"bid\":" + DoubleToString(t.bid, g_digits[i]) +
              ",\"ask\":" + DoubleToString(t.ask, g_digits[i]);
   if((t.flags & TICK_FLAG_LAST) != 0 || t.last != 0) s += ",\"last\":" + DoubleToString(t.last, g_digits[i]);
   if((t.flags & TICK_FLAG_VOLUME) != 0) s += ",\"volume\":" + IntegerToString((long)t.volume) + ",\"volume_real\":" + N(t.volume_real);
   return s + ",\"flags\":" + IntegerToString(t.flags) + "}";
  }

//--- send ticks of symbol i from its cursor; returns false when the buffer is too full to go on
bool PumpSymbol(const int i)
  {
   if(!g_started[i]) return true;
   MqlTick ticks[];
   long nowMsc = (long)TimeTradeServer() * 1000;
   int n;
   // far behind (after a reconnect): read history in one-hour windows with CopyTicksRange
   if(nowMsc - g_cursor[i] > 120000)
      n = CopyTicksRange(g_sym[i], ticks, COPY_TICKS_ALL, (ulong)g_cursor[i], (ulong)(g_cursor[i] + 3600000));
   else
      n = CopyTicks(g_sym[i], ticks, COPY_TICKS_ALL, (ulong)g_cursor[i], (uint)InpTicksPerPump);
   if(n <= 0)
     {
      // an empty backfill window (weekend, holiday): move the window on, but never past now
      if(n == 0 && nowMsc - g_cursor[i] > 120000) { g_cursor[i] = MathMin(g_cursor[i] + 3600000, nowMsc - 120000); g_sameMs[i] = 0; }
      return true;   // -1: history still synchronising; try at the next timer event
     }
   int skip = g_sameMs[i];
   bool sentAny = false;
   for(int k = 0; k < n; k++)
     {
      if(ticks[k].time_msc == g_cursor[i] && skip > 0) { skip--; continue; }   // already sent
      if(!Enqueue(TickJson(i, ticks[k]))) return false;
      sentAny = true;
      if(ticks[k].time_msc == g_cursor[i]) g_sameMs[i]++;
      else { g_cursor[i] = ticks[k].time_msc; g_sameMs[i] = 1; }
      if(QueuedBytes() > InpMaxQueueKB * 512) return false;   // above half full: stop reading, keep the cursor
     }
   // a backfill window holding only ticks already sent: move it on so the pump never stalls
   if(!sentAny && nowMsc - g_cursor[i] > 120000) { g_cursor[i] = MathMin(g_cursor[i] + 3600000, nowMsc - 120000); g_sameMs[i] = 0; }
   return true;
  }

void StartSymbol(const int i, const bool hasPoint, const long lastMsc)
  {
   if(g_started[i]) return;
   if(hasPoint) { g_cursor[i] = lastMsc + 1; g_sameMs[i] = 0; }
   else
     {
      MqlTick t;
      if(SymbolInfoTick(g_sym[i], t) && t.time_msc > 0) g_cursor[i] = t.time_msc;
      else g_cursor[i] = (long)TimeTradeServer() * 1000;
      g_sameMs[i] = 0;
     }
   g_started[i] = true;
  }

int SymbolIndex(const string name)
  {
   for(int i = 0; i < ArraySize(g_sym); i++) if(g_sym[i] == name) return i;
   return -1;
  }

//+------------------------------------------------------------------+
//| Journal of executed ids                                          |
//+------------------------------------------------------------------+
void JournalLoad(void)
  {
   FolderCreate("Plan2Bridge");
   g_journalFile = "Plan2Bridge\\" + IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)) + ".journal";
   ArrayResize(g_jId, 0);
   ArrayResize(g_jState, 0);
   int h = FileOpen(g_journalFile, FILE_READ | FILE_TXT | FILE_ANSI | FILE_SHARE_READ);
   if(h == INVALID_HANDLE) return;
   while(!FileIsEnding(h))
     {
      string line = FileReadString(h);
      int tab = StringFind(line, "\t");
      if(tab <= 0) continue;
      JournalAppend(StringSubstr(line, 0, tab), StringSubstr(line, tab + 1));
     }
   FileClose(h);
   // compact a long journal to its newest 10,000 entries
   int n = ArraySize(g_jId);
   if(n > 20000)
     {
      ArrayRemove(g_jId, 0, n - 10000);
      ArrayRemove(g_jState, 0, n - 10000);
      h = FileOpen(g_journalFile, FILE_WRITE | FILE_TXT | FILE_ANSI);
      if(h != INVALID_HANDLE)
        {
         for(int i = 0; i < ArraySize(g_jId); i++) FileWriteString(h, g_jId[i] + "\t" + g_jState[i] + "\r\n");
         FileClose(h);
        }
     }
  }

//--- entries are only appended; the newest entry of an id is its state
void JournalAppend(const string id, const string state)
  {
   int i = ArraySize(g_jId);
   ArrayResize(g_jId, i + 1, 1024);
   ArrayResize(g_jState, i + 1, 1024);
   g_jId[i] = id;
   g_jState[i] = state;
  }

int JournalFind(const string id)
  {
   for(int i = ArraySize(g_jId) - 1; i >= 0; i--) if(g_jId[i] == id) return i;
   return -1;
  }

void JournalSet(const string id, const string state, const bool persist)
  {
   if(ArraySize(g_jId) >= 40000)   // bounded memory: forget the oldest entries (comments still match them)
     {
      ArrayRemove(g_jId, 0, 20000);
      ArrayRemove(g_jState, 0, 20000);
     }
   JournalAppend(id, state);
   if(!persist) return;
   int h = FileOpen(g_journalFile, FILE_READ | FILE_WRITE | FILE_TXT | FILE_ANSI | FILE_SHARE_READ);
   if(h == INVALID_HANDLE) { Print("Plan2Bridge: cannot write the journal, error ", GetLastError()); return; }
   FileSeek(h, 0, SEEK_END);
   FileWriteString(h, id + "\t" + state + "\r\n");
   FileClose(h);   // closing flushes: the entry survives a terminal crash
  }

//--- an execution of `id` found in positions, pending orders or recent history; "" if none
string FindByComment(const string id)
  {
   string want = COMMENT_PREFIX + id;
   for(int i = PositionsTotal() - 1; i >= 0; i--)
     {
      ulong t = PositionGetTicket(i);
      if(t != 0 && CommentMatches(PositionGetString(POSITION_COMMENT), want))
         return ",\"position\":" + T(t) + ",\"order\":" + T((ulong)PositionGetInteger(POSITION_IDENTIFIER));
     }
   for(int i = OrdersTotal() - 1; i >= 0; i--)
     {
      ulong t = OrderGetTicket(i);
      if(t != 0 && CommentMatches(OrderGetString(ORDER_COMMENT), want)) return ",\"order\":" + T(t);
     }
   if(HistorySelect(TimeCurrent() - InpHistoryDays * 86400, TimeCurrent() + 86400))
     {
      for(int i = HistoryDealsTotal() - 1; i >= 0; i--)
        {
         ulong t = HistoryDealGetTicket(i);
         if(CommentMatches(HistoryDealGetString(t, DEAL_COMMENT), want))
            return ",\"deal\":" + T(t) + ",\"order\":" + T((ulong)HistoryDealGetInteger(t, DEAL_ORDER)) + ",\"position\":" + T((ulong)HistoryDealGetInteger(t, DEAL_POSITION_ID));
        }
      for(int i = HistoryOrdersTotal() - 1; i >= 0; i--)
        {
         ulong t = HistoryOrderGetTicket(i);
         if(CommentMatches(HistoryOrderGetString(t, ORDER_COMMENT), want)) return ",\"order\":" + T(t);
        }
     }
   return "";
  }

//--- "p2:<id>" exactly, or followed by a non-id character (brokers append " [sl]" and such)
bool CommentMatches(const string comment, const string want)
  {
   if(StringFind(comment, want) != 0) return false;
   if(StringLen(comment) == StringLen(want)) return true;
   ushort c = StringGetCharacter(comment, StringLen(want));
   return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }

//+------------------------------------------------------------------+
//| Order execution                                                  |
//+------------------------------------------------------------------+
double RoundVolume(const string sym, double vol, const bool down)
  {
   double step = SymbolInfoDouble(sym, SYMBOL_VOLUME_STEP);
   double vmin = SymbolInfoDouble(sym, SYMBOL_VOLUME_MIN);
   double vmax = SymbolInfoDouble(sym, SYMBOL_VOLUME_MAX);
   if(step > 0) vol = (down ? MathFloor(vol / step + 1e-9) : MathRound(vol / step)) * step;
   if(vol < vmin) vol = down ? vol : vmin;
   if(vmax > 0 && vol > vmax) vol = vmax;
   int dec = 0;
   while(dec < 8 && MathAbs(step * MathPow(10, dec) - MathRound(step * MathPow(10, dec))) > 1e-9) dec++;
   return NormalizeDouble(vol, dec);
  }

double RoundPrice(const string sym, const double price)
  {
   if(price <= 0) return 0;
   double ts = SymbolInfoDouble(sym, SYMBOL_TRADE_TICK_SIZE);
   double p = (ts > 0) ? MathRound(price / ts) * ts : price;
   return NormalizeDouble(p, (int)SymbolInfoInteger(sym, SYMBOL_DIGITS));
  }

ENUM_ORDER_TYPE ParseOrderType(const string s)
  {
   if(s == "sell") return ORDER_TYPE_SELL;
   if(s == "buy_limit") return ORDER_TYPE_BUY_LIMIT;
   if(s == "sell_limit") return ORDER_TYPE_SELL_LIMIT;
   if(s == "buy_stop") return ORDER_TYPE_BUY_STOP;
   if(s == "sell_stop") return ORDER_TYPE_SELL_STOP;
   if(s == "buy_stop_limit") return ORDER_TYPE_BUY_STOP_LIMIT;
   if(s == "sell_stop_limit") return ORDER_TYPE_SELL_STOP_LIMIT;
   if(s == "close_by") return ORDER_TYPE_CLOSE_BY;
   return ORDER_TYPE_BUY;
  }

ENUM_ORDER_TYPE_TIME ParseTimeType(const string s)
  {
   if(s == "day") return ORDER_TIME_DAY;
   if(s == "specified") return ORDER_TIME_SPECIFIED;
   if(s == "specified_day") return ORDER_TIME_SPECIFIED_DAY;
   return ORDER_TIME_GTC;
  }

//--- filling modes to try, in order: the requested one, or those the symbol allows
int FillingCandidates(const string sym, const string requested, const bool pending, ENUM_ORDER_TYPE_FILLING &out[])
  {
   ArrayResize(out, 0);
   if(requested != "")
     {
      ArrayResize(out, 1);
      if(requested == "fok") out[0] = ORDER_FILLING_FOK;
      else if(requested == "ioc") out[0] = ORDER_FILLING_IOC;
      else if(requested == "boc") out[0] = (ENUM_ORDER_TYPE_FILLING)3;   // ORDER_FILLING_BOC on recent builds
      else out[0] = ORDER_FILLING_RETURN;
      return 1;
     }
   if(pending)
     {
      ArrayResize(out, 1);
      out[0] = ORDER_FILLING_RETURN;
      return 1;
     }
   long modes = SymbolInfoInteger(sym, SYMBOL_FILLING_MODE);
   int n = 0;
   if((modes & SYMBOL_FILLING_FOK) != 0) { ArrayResize(out, n + 1); out[n++] = ORDER_FILLING_FOK; }
   if((modes & SYMBOL_FILLING_IOC) != 0) { ArrayResize(out, n + 1); out[n++] = ORDER_FILLING_IOC; }
   ArrayResize(out, n + 1);
   out[n++] = ORDER_FILLING_RETURN;
   return n;
  }

void ReplyRaw(const string id, const string body)
  {
   Enqueue("{\"type\":\"order_result\",\"id\":" + Q(id) + body + "}");
  }

string ResultBody(const MqlTradeResult &r, const string extra)
  {
   ulong position = 0;
   if(r.deal > 0 && HistoryDealSelect(r.deal)) position = (ulong)HistoryDealGetInteger(r.deal, DEAL_POSITION_ID);
   return ",\"retcode\":" + IntegerToString(r.retcode) +
          ",\"retcode_external\":" + IntegerToString(r.retcode_external) +
          ",\"deal\":" + T(r.deal) + ",\"order\":" + T(r.order) + ",\"position\":" + T(position) +
          ",\"volume\":" + N(r.volume) + ",\"price\":" + N(r.price, 10) +
          ",\"bid\":" + N(r.bid, 10) + ",\"ask\":" + N(r.ask, 10) +
          ",\"comment\":" + Q(r.comment) + ",\"request_id\":" + IntegerToString(r.request_id) + extra +
          ",\"time_msc\":" + IntegerToString((long)TimeTradeServer() * 1000);
  }

//--- OrderCheck, then OrderSend; fall back to the next filling mode once on 10030
void Execute(const string id, MqlTradeRequest &req, const bool pending, const string requestedFilling)
  {
   ENUM_ORDER_TYPE_FILLING fills[];
   int nf = FillingCandidates(req.symbol, requestedFilling, pending, fills);
   MqlTradeCheckResult chk;
   bool checked = false;
   for(int f = 0; f < nf && f < 2; f++)
     {
      req.type_filling = fills[f];
      ZeroMemory(chk);
      if(OrderCheck(req, chk)) { checked = true; break; }
      if(chk.retcode != TRADE_RETCODE_INVALID_FILL) break;
     }
   string sent = ",\"sent\":{\"volume\":" + N(req.volume) + ",\"price\":" + N(req.price, 10) +
                 ",\"type_filling\":\"" + EnumName(EnumToString(req.type_filling), "ORDER_FILLING_") + "\"}";
   if(!checked)
     {
      string body = ",\"retcode\":" + IntegerToString(chk.retcode == 0 ? TRADE_RETCODE_INVALID : chk.retcode) + ",\"retcode_external\":0,\"comment\":" + Q(chk.comment) +
                    ",\"check\":{\"retcode\":" + IntegerToString(chk.retcode) + ",\"balance\":" + N(chk.balance, 2) + ",\"equity\":" + N(chk.equity, 2) +
                    ",\"margin\":" + N(chk.margin, 2) + ",\"margin_free\":" + N(chk.margin_free, 2) + ",\"margin_level\":" + N(chk.margin_level, 2) +
                    ",\"comment\":" + Q(chk.comment) + "}" + sent;
      JournalSet(id, body, true);
      ReplyRaw(id, body);
      return;
     }
   MqlTradeResult res;
   ZeroMemory(res);
   JournalSet(id, "sending", true);             // before OrderSend: a crash inside it is then an unknown, never a resend
   ResetLastError();
   bool ok = OrderSend(req, res);
   if(!ok && res.retcode == 0) res.retcode = TRADE_RETCODE_ERROR;
   string body = ResultBody(res, sent + (ok ? "" : ",\"last_error\":" + IntegerToString(GetLastError())));
   JournalSet(id, body, true);
   ReplyRaw(id, body);
   g_snapshotDirty = true;
  }

//--- true when id was already handled (and answered as a duplicate)
bool AnswerDuplicate(const string id)
  {
   int j = JournalFind(id);
   if(j >= 0 && g_jState[j] != "sending")
     {
      ReplyRaw(id, g_jState[j] + ",\"duplicate\":true");
      return true;
     }
   string found = FindByComment(id);
   if(found != "")
     {
      ReplyRaw(id, ",\"retcode\":" + IntegerToString(TRADE_RETCODE_DONE) + ",\"retcode_external\":0" + found + ",\"duplicate\":true,\"comment\":\"already executed (found by comment)\"");
      return true;
     }
   if(j >= 0)   // "sending" without a trace: the outcome is unknown, never send it again
     {
      ReplyRaw(id, ",\"retcode\":" + IntegerToString(TRADE_RETCODE_TIMEOUT) + ",\"retcode_external\":0,\"duplicate\":true,\"comment\":\"previous attempt outcome unknown\"");
      return true;
     }
   return false;
  }

string CommentFor(const string id, const string extra)
  {
   string c = COMMENT_PREFIX + id + (extra != "" ? " " + extra : "");
   return StringSubstr(c, 0, 31);
  }

void HandleOrder(CJson *m)
  {
   string id = m.Str("id");
   if(AnswerDuplicate(id)) return;
   MqlTradeRequest req;
   ZeroMemory(req);
   string sym = m.Str("symbol");
   if(!SymbolSelect(sym, true))
     {
      ReplyRaw(id, ",\"retcode\":" + IntegerToString(TRADE_RETCODE_INVALID) + ",\"retcode_external\":0,\"comment\":\"unknown symbol " + sym + "\"");
      return;
     }
   bool pending = m.Str("action") == "pending";
   req.action = pending ? TRADE_ACTION_PENDING : TRADE_ACTION_DEAL;
   req.symbol = sym;
   req.type = ParseOrderType(m.Str("order_type"));
   bool closing = m.Has("position");
   req.volume = RoundVolume(sym, m.Num("volume"), closing);
   if(m.Has("price")) req.price = RoundPrice(sym, m.Num("price"));
   else if(!pending) req.price = (req.type == ORDER_TYPE_BUY) ? SymbolInfoDouble(sym, SYMBOL_ASK) : SymbolInfoDouble(sym, SYMBOL_BID);
   if(m.Has("stoplimit")) req.stoplimit = RoundPrice(sym, m.Num("stoplimit"));
   if(m.Has("sl")) req.sl = RoundPrice(sym, m.Num("sl"));
   if(m.Has("tp")) req.tp = RoundPrice(sym, m.Num("tp"));
   req.deviation = (ulong)m.Long("deviation", 10);
   req.magic = (ulong)m.Long("magic", 0);
   req.comment = CommentFor(id, m.Str("comment"));
   if(closing) req.position = (ulong)m.Long("position");
   if(m.Has("position_by")) req.position_by = (ulong)m.Long("position_by");
   req.type_time = ParseTimeType(m.Str("type_time", "gtc"));
   if(m.Has("expiration")) req.expiration = (datetime)(m.Long("expiration") / 1000);
   Execute(id, req, pending, m.Str("type_filling"));
  }

void HandleClose(CJson *m, const bool partial)
  {
   string id = m.Str("id");
   if(AnswerDuplicate(id)) return;
   ulong ticket = (ulong)m.Long("ticket");
   if(!PositionSelectByTicket(ticket))
     {
      ReplyRaw(id, ",\"retcode\":" + IntegerToString(TRADE_RETCODE_POSITION_CLOSED) + ",\"retcode_external\":0,\"comment\":\"no open position " + (string)ticket + "\"");
      return;
     }
   MqlTradeRequest req;
   ZeroMemory(req);
   string sym = PositionGetString(POSITION_SYMBOL);
   double have = PositionGetDouble(POSITION_VOLUME);
   bool isBuy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
   req.action = TRADE_ACTION_DEAL;
   req.symbol = sym;
   req.position = ticket;                       // close THIS position (hedging accounts would otherwise open an opposite one)
   req.type = isBuy ? ORDER_TYPE_SELL : ORDER_TYPE_BUY;
   req.volume = partial ? MathMin(RoundVolume(sym, m.Num("volume"), true), have) : have;
   req.price = isBuy ? SymbolInfoDouble(sym, SYMBOL_BID) : SymbolInfoDouble(sym, SYMBOL_ASK);
   req.deviation = (ulong)m.Long("deviation", 10);
   req.magic = (ulong)PositionGetInteger(POSITION_MAGIC);
   req.comment = CommentFor(id, "");
   Execute(id, req, false, m.Str("type_filling"));
  }

void HandleModify(CJson *m)
  {
   string id = m.Str("id");
   if(AnswerDuplicate(id)) return;
   ulong ticket = (ulong)m.Long("ticket");
   MqlTradeRequest req;
   ZeroMemory(req);
   if(PositionSelectByTicket(ticket))
     {
      string sym = PositionGetString(POSITION_SYMBOL);
      req.action = TRADE_ACTION_SLTP;
      req.symbol = sym;
      req.position = ticket;
      req.sl = m.Has("sl") ? RoundPrice(sym, m.Num("sl")) : PositionGetDouble(POSITION_SL);
      req.tp = m.Has("tp") ? RoundPrice(sym, m.Num("tp")) : PositionGetDouble(POSITION_TP);
      req.magic = (ulong)PositionGetInteger(POSITION_MAGIC);
     }
   else if(OrderSelect(ticket))
     {
      string sym = OrderGetString(ORDER_SYMBOL);
      req.action = TRADE_ACTION_MODIFY;
      req.symbol = sym;
      req.order = ticket;
      req.price = m.Has("price") ? RoundPrice(sym, m.Num("price")) : OrderGetDouble(ORDER_PRICE_OPEN);
      req.stoplimit = m.Has("stoplimit") ? RoundPrice(sym, m.Num("stoplimit")) : OrderGetDouble(ORDER_PRICE_STOPLIMIT);
      req.sl = m.Has("sl") ? RoundPrice(sym, m.Num("sl")) : OrderGetDouble(ORDER_SL);
      req.tp = m.Has("tp") ? RoundPrice(sym, m.Num("tp")) : OrderGetDouble(ORDER_TP);
      req.type_time = m.Has("type_time") ? ParseTimeType(m.Str("type_time")) : (ENUM_ORDER_TYPE_TIME)OrderGetInteger(ORDER_TYPE_TIME);
      req.expiration = m.Has("expiration") ? (datetime)(m.Long("expiration") / 1000) : (datetime)OrderGetInteger(ORDER_TIME_EXPIRATION);
     }
   else
     {
      ReplyRaw(id, ",\"retcode\":" + IntegerToString(TRADE_RETCODE_INVALID_ORDER) + ",\"retcode_external\":0,\"comment\":\"no position or order " + (string)ticket + "\"");
      return;
     }
   Execute(id, req, true, "return");
  }

void HandleCancel(CJson *m)
  {
   string id = m.Str("id");
   if(AnswerDuplicate(id)) return;
   ulong ticket = (ulong)m.Long("ticket");
   if(!OrderSelect(ticket))
     {
      ReplyRaw(id, ",\"retcode\":" + IntegerToString(TRADE_RETCODE_INVALID_ORDER) + ",\"retcode_external\":0,\"comment\":\"no pending order " + (string)ticket + "\"");
      return;
     }
   MqlTradeRequest req;
   ZeroMemory(req);
   req.action = TRADE_ACTION_REMOVE;
   req.order = ticket;
   req.symbol = OrderGetString(ORDER_SYMBOL);
   Execute(id, req, true, "return");
  }

//+------------------------------------------------------------------+
//| Inbound messages                                                 |
//+------------------------------------------------------------------+
void ApplyStartingPoints(CJson *map, CJson *names)
  {
   // names: the symbols this answer covers (backfill); NULL = only those in the map (welcome)
   if(map != NULL)
      for(int k = 0; k < ArraySize(map.keys); k++)
        {
         int i = SymbolIndex(map.keys[k]);
         if(i >= 0) StartSymbol(i, true, (long)map.items[k].num);
        }
   if(names != NULL)
      for(int k = 0; k < names.Size(); k++)
        {
         int i = SymbolIndex(names.At(k).str);
         if(i >= 0) StartSymbol(i, false, 0);   // no-op when the map already started it
        }
  }

void HandleLine(const string line)
  {
   CJson *m = g_parser.Parse(line);
   if(m == NULL) { Print("Plan2Bridge: unreadable line from the gateway: ", StringSubstr(line, 0, 120)); return; }
   string type = m.Str("type");
   if(type == "ping")
      Enqueue("{\"type\":\"pong\",\"id\":" + (m.Get("id") != NULL && m.Get("id").type == J_STR ? Q(m.Str("id")) : m.Str("id", "0")) + ",\"time\":" + IntegerToString(NowGmtMs()) + "}");
   else if(type == "welcome")
     {
      g_state = 2;
      g_backoffMs = 1000;
      g_heartbeatMs = (uint)MathMax(1000.0, m.Num("heartbeat_sec", 10) * 1000.0);
      ApplyStartingPoints(m.Get("last_time_msc"), NULL);
      Print("Plan2Bridge: session ", m.Str("session"));
     }
   else if(type == "backfill")
      ApplyStartingPoints(m.Get("last_time_msc"), m.Get("symbols"));
   else if(type == "error")
     {
      string code = m.Str("code");
      Print("Plan2Bridge: gateway error ", code, ": ", m.Str("message"));
      if(m.Bool("fatal"))
        {
         bool person = (code == "SESSION_REPLACED" || code == "BAD_TOKEN" || code == "ACCOUNT_MISMATCH" || code == "UNSUPPORTED_PROTOCOL");
         if(person) Alert("Plan2Bridge stopped: ", code, " — ", m.Str("message"));
         Disconnect(!person);
        }
     }
   else if(type == "order" || type == "modify" || type == "close" || type == "close_partial" || type == "cancel")
     {
      if(!InpAllowTrading)
         ReplyRaw(m.Str("id"), ",\"retcode\":" + IntegerToString(TRADE_RETCODE_CLIENT_DISABLES_AT) + ",\"retcode_external\":0,\"comment\":\"trading disabled in the EA inputs\"");
      else if(type == "order") HandleOrder(m);
      else if(type == "modify") HandleModify(m);
      else if(type == "close") HandleClose(m, false);
      else if(type == "close_partial") HandleClose(m, true);
      else HandleCancel(m);
     }
   else if(type == "history_request")
      SendHistory(m.Str("request_id"), m.Long("from_msc"), m.Long("to_msc"));
   delete m;
  }

void ReadSocket(void)
  {
   if(g_sock == INVALID_HANDLE) return;
   uint avail = SocketIsReadable(g_sock);
   if(avail == 0)
     {
      if(!SocketIsConnected(g_sock)) Disconnect(true);
      return;
     }
   uchar buf[];
   int n = SocketRead(g_sock, buf, MathMin(avail, (uint)MAX_LINE_BYTES * 4), 1);
   if(n <= 0)
     {
      if(!SocketIsConnected(g_sock)) Disconnect(true);
      return;
     }
   g_lastRecvAt = GetTickCount64();
   if(ArraySize(g_in) < g_inLen + n) ArrayResize(g_in, g_inLen + n, 65536);
   ArrayCopy(g_in, buf, g_inLen, 0, n);
   g_inLen += n;
   // split complete lines at byte level, so a UTF-8 character cut by the network is never decoded in halves
   int start = 0;
   for(int i = 0; i < g_inLen && g_sock != INVALID_HANDLE; i++)
     {
      if(g_in[i] != 10) continue;
      int len = i - start;
      if(len > 0 && g_in[i - 1] == 13) len--;
      if(len > 0) HandleLine(CharArrayToString(g_in, start, len, CP_UTF8));
      start = i + 1;
     }
   if(g_sock == INVALID_HANDLE) return;
   if(start > 0)
     {
      int rest = g_inLen - start;
      if(rest > 0) ArrayCopy(g_in, g_in, 0, start, rest);
      g_inLen = rest;
     }
   if(g_inLen > MAX_LINE_BYTES * 2) { Print("Plan2Bridge: oversized line from the gateway; reconnecting"); Disconnect(true); }
  }

//+------------------------------------------------------------------+
//| Event handlers                                                   |
//+------------------------------------------------------------------+
int OnInit(void)
  {
   if(InpToken == "") { Alert("Plan2Bridge: set InpToken (plan2 mt5 token create --tenant <id>)"); return INIT_PARAMETERS_INCORRECT; }
   string names[];
   if(StringLen(InpSymbols) > 0)
     {
      string parts[];
      int n = StringSplit(InpSymbols, ',', parts);
      for(int i = 0; i < n; i++)
        {
         string s = parts[i];
         StringTrimLeft(s);
         StringTrimRight(s);
         if(s == "") continue;
         if(!SymbolSelect(s, true)) { Print("Plan2Bridge: symbol ", s, " not found; skipped"); continue; }
         int k = ArraySize(names);
         ArrayResize(names, k + 1);
         names[k] = s;
        }
     }
   else
     {
      int n = SymbolsTotal(true);
      ArrayResize(names, n);
      for(int i = 0; i < n; i++) names[i] = SymbolName(i, true);
     }
   int n = ArraySize(names);
   ArrayResize(g_sym, n);
   ArrayResize(g_symQ, n);
   ArrayResize(g_digits, n);
   ArrayResize(g_cursor, n);
   ArrayResize(g_sameMs, n);
   ArrayResize(g_started, n);
   for(int i = 0; i < n; i++)
     {
      g_sym[i] = names[i];
      g_symQ[i] = Q(names[i]);
      g_digits[i] = (int)SymbolInfoInteger(names[i], SYMBOL_DIGITS);
      g_cursor[i] = 0;
      g_sameMs[i] = 0;
      g_started[i] = false;
     }
   MathSrand((uint)GetTickCount());
   JournalLoad();
   if(!EventSetMillisecondTimer(MathMax(InpTimerMs, 1))) { Print("Plan2Bridge: EventSetMillisecondTimer failed, error ", GetLastError()); return INIT_FAILED; }
   g_nextConnectAt = 0;
   Connect();
   return INIT_SUCCEEDED;
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   if(g_sock != INVALID_HANDLE)
     {
      Flush();
      SocketClose(g_sock);
      g_sock = INVALID_HANDLE;
     }
  }

//--- the pump: connection, inbound, ticks of every symbol, snapshots, heartbeats
void OnTimer(void)
  {
   if(g_stopped) return;
   if(g_sock == INVALID_HANDLE) { Connect(); return; }
   ReadSocket();
   if(g_sock == INVALID_HANDLE) return;
   ulong now = GetTickCount64();
   if(now - g_lastRecvAt > (ulong)g_heartbeatMs * 3)
     {
      Print("Plan2Bridge: nothing from the gateway for ", (now - g_lastRecvAt) / 1000, " s; reconnecting");
      Disconnect(true);
      return;
     }
   if(now - g_lastOffsetCheck > 60000)
     {
      g_lastOffsetCheck = now;
      long off = ServerOffsetSec();
      bool conn = (bool)TerminalInfoInteger(TERMINAL_CONNECTED);
      if(off != g_offsetSec || conn != g_terminalConnected)
        {
         g_offsetSec = off;
         g_terminalConnected = conn;
         SendStatus(conn ? "offset changed" : "terminal lost the broker");
        }
     }
   else
     {
      bool conn = (bool)TerminalInfoInteger(TERMINAL_CONNECTED);
      if(conn != g_terminalConnected) { g_terminalConnected = conn; SendStatus(conn ? "terminal regained the broker" : "terminal lost the broker"); }
     }
   if(g_state == 2)
     {
      for(int i = 0; i < ArraySize(g_sym); i++)
        {
         if(QueuedBytes() > InpMaxQueueKB * 512) break;   // keep the cursors; catch up from the terminal's history later
         if(!PumpSymbol(i)) break;
         if(g_sock == INVALID_HANDLE) return;
        }
      if(g_snapshotDirty || now - g_lastSnapshotAt > (ulong)InpSnapshotSec * 1000)
        {
         g_snapshotDirty = false;
         g_lastSnapshotAt = now;
         SendAccount();
         SendPositions();
         SendOrders();
        }
     }
   Flush();
  }

void OnTick(void)
  {
   // Data does not depend on OnTick (chart symbol only, skipped while busy); it only shortens latency.
   if(g_state == 2 && g_sock != INVALID_HANDLE && QueuedBytes() < InpMaxQueueKB * 512)
     {
      for(int i = 0; i < ArraySize(g_sym); i++) if(g_sym[i] == _Symbol) { PumpSymbol(i); break; }
      Flush();
     }
  }

void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result)
  {
   g_snapshotDirty = true;
   if(g_sock == INVALID_HANDLE || g_state != 2) return;   // snapshots after the reconnect carry the state
   int d = (int)SymbolInfoInteger(trans.symbol, SYMBOL_DIGITS);
   string s = "{\"type\":\"trade_transaction\",\"transaction\":{" +
              "\"type\":\"" + EnumName(EnumToString(trans.type), "TRADE_TRANSACTION_") + "\"" +
              ",\"deal\":" + T(trans.deal) + ",\"order\":" + T(trans.order) +
              ",\"symbol\":" + Q(trans.symbol) +
              ",\"order_type\":\"" + EnumName(EnumToString(trans.order_type), "ORDER_TYPE_") + "\"" +
              ",\"order_state\":\"" + EnumName(EnumToString(trans.order_state), "ORDER_STATE_") + "\"" +
              ",\"deal_type\":\"" + EnumName(EnumToString(trans.deal_type), "DEAL_TYPE_") + "\"" +
              ",\"time_type\":\"" + EnumName(EnumToString(trans.time_type), "ORDER_TIME_") + "\"" +
              ",\"time_expiration\":" + IntegerToString((long)trans.time_expiration * 1000) +
              ",\"price\":" + N(trans.price, d) + ",\"price_trigger\":" + N(trans.price_trigger, d) +
              ",\"price_sl\":" + N(trans.price_sl, d) + ",\"price_tp\":" + N(trans.price_tp, d) +
              ",\"volume\":" + N(trans.volume) +
              ",\"position\":" + T(trans.position) + ",\"position_by\":" + T(trans.position_by) + "}";
   if(trans.type == TRADE_TRANSACTION_REQUEST)
     {
      s += ",\"request\":{\"action\":\"" + EnumName(EnumToString(request.action), "TRADE_ACTION_") + "\"" +
           ",\"magic\":" + IntegerToString((long)request.magic) + ",\"order\":" + T(request.order) +
           ",\"symbol\":" + Q(request.symbol) + ",\"volume\":" + N(request.volume) +
           ",\"price\":" + N(request.price, d) + ",\"stoplimit\":" + N(request.stoplimit, d) +
           ",\"sl\":" + N(request.sl, d) + ",\"tp\":" + N(request.tp, d) +
           ",\"deviation\":" + IntegerToString((long)request.deviation) +
           ",\"order_type\":\"" + EnumName(EnumToString(request.type), "ORDER_TYPE_") + "\"" +
           ",\"type_filling\":\"" + EnumName(EnumToString(request.type_filling), "ORDER_FILLING_") + "\"" +
           ",\"type_time\":\"" + EnumName(EnumToString(request.type_time), "ORDER_TIME_") + "\"" +
           ",\"expiration\":" + IntegerToString((long)request.expiration * 1000) +
           ",\"comment\":" + Q(request.comment) +
           ",\"position\":" + T(request.position) + ",\"position_by\":" + T(request.position_by) + "}" +
           ",\"result\":{\"retcode\":" + IntegerToString(result.retcode) + ",\"retcode_external\":" + IntegerToString(result.retcode_external) +
           ",\"deal\":" + T(result.deal) + ",\"order\":" + T(result.order) +
           ",\"volume\":" + N(result.volume) + ",\"price\":" + N(result.price, d) +
           ",\"bid\":" + N(result.bid, d) + ",\"ask\":" + N(result.ask, d) +
           ",\"comment\":" + Q(result.comment) + ",\"request_id\":" + IntegerToString(result.request_id) + "}";
     }
   s += ",\"time_msc\":" + IntegerToString((long)TimeTradeServer() * 1000) + "}";
   Enqueue(s);
   Flush();
  }
//+------------------------------------------------------------------+
