"""The wallet's security log and restrictions (freeze, cool-off), below every area that
records events or guards a payment or a card change."""
