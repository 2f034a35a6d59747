"""WeChat Official Account (公众号) channel core, independent of Rasa.

``channels/wechat.py`` adapts :class:`fenqi.wechat.webhook.WeChatWebhook` to a Rasa input
channel; everything that decides (signatures, XML safety, dedupe, splitting, options,
binding, delivery) lives here and is tested without Rasa.
"""
