export {
  createWeChatClient,
  WECHAT_ERRCODE,
  type WeChatApi,
  WeChatApiError,
  type WeChatClient,
  type WeChatClientOptions,
  type WeChatPhone,
  type WeChatSession,
  type WeChatSubscribeMessage,
} from './client';
